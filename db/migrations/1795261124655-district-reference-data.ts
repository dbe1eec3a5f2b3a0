import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The district's tree of organizations and the versioned certificate types. */
export class DistrictReferenceData1795261124655 implements MigrationInterface {
  name = 'DistrictReferenceData1795261124655';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE TABLE "organizations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "code" character varying(12) NOT NULL, "name" character varying(100) NOT NULL, "level" character varying(16) NOT NULL, "kind" character varying(16) NOT NULL, "parent_id" uuid, "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_7e27c3b62c681fbe3e2322535f2" UNIQUE ("code"), CONSTRAINT "organizations_kind_check" CHECK ("kind" IN ('district', 'subdistrict', 'town', 'village', 'community')), CONSTRAINT "organizations_level_check" CHECK ("level" IN ('district', 'town', 'committee')), CONSTRAINT "PK_6b031fcd0863e3f6b44230163f9" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "organizations_level_kind_idx" ON "organizations" ("level", "kind")`);
    await db.query(`CREATE INDEX "organizations_parent_idx" ON "organizations" ("parent_id")`);
    await db.query(
      `CREATE TABLE "certificate_types" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "code" character varying(64) NOT NULL, "active_version" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_06064a05121f48fb2f424ff7e20" UNIQUE ("code"), CONSTRAINT "PK_03f8d50f3c14d1b91f3ca1f78ce" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE TABLE "certificate_type_versions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "type_id" uuid NOT NULL, "version" integer NOT NULL, "name" character varying(100) NOT NULL, "name_en" character varying(200) NOT NULL, "description" text NOT NULL, "issuing_level" character varying(16) NOT NULL, "committee_basis" character varying(32) NOT NULL, "validity_days" integer NOT NULL, "time_limit_working_days" integer NOT NULL, "integrations" jsonb NOT NULL, "form_schema" jsonb NOT NULL, "materials" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_933aa059001a9b35ecc42cc3814" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE UNIQUE INDEX "certificate_type_versions_type_version_key" ON "certificate_type_versions" ("type_id", "version")`,
    );
    await db.query(
      `ALTER TABLE "organizations" ADD CONSTRAINT "FK_f3a7c9411eaa5f9cbc5363de331" FOREIGN KEY ("parent_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "certificate_type_versions" ADD CONSTRAINT "FK_32647d5d43493710ebb522025d0" FOREIGN KEY ("type_id") REFERENCES "certificate_types"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "certificate_type_versions"`);
    await db.query(`DROP TABLE "certificate_types"`);
    await db.query(`DROP TABLE "organizations"`);
  }
}
