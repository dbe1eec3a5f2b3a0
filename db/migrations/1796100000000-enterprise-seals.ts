import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Enterprise e-seals and the seal-use service: enterprises and their legal representatives, their
 * applications for seals (reviewed by the district admin), which seals of the registry belong to
 * which enterprise and what each is for, who may use each, every use, and the enterprises' API keys.
 */
export class EnterpriseSeals1796100000000 implements MigrationInterface {
  name = 'EnterpriseSeals1796100000000';

  async up(db: QueryRunner): Promise<void> {
    // Enterprise seals live in the seal registry with committee seals; only a committee's has an organization.
    await db.query(`ALTER TABLE "seals" DROP CONSTRAINT "seals_kind_check"`);
    await db.query(
      `ALTER TABLE "seals" ADD CONSTRAINT "seals_kind_check" CHECK ("kind" IN ('committee', 'enterprise'))`,
    );
    await db.query(`ALTER TABLE "seals" ALTER COLUMN "organization_id" DROP NOT NULL`);
    await db.query(
      `ALTER TABLE "seals" ADD CONSTRAINT "seals_owner_check" CHECK (("kind" = 'committee') = ("organization_id" IS NOT NULL))`,
    );
    await db.query(
      `CREATE TABLE "enterprises" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "credit_code" character varying(18) NOT NULL, "name" character varying(100) NOT NULL, "legal_representative_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_bca102e5421c71d700c4ee4ff9a" UNIQUE ("credit_code"), CONSTRAINT "PK_a019e9afe6517b4f2a4588f2cce" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE TABLE "enterprise_seal_applications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "credit_code" character varying(18) NOT NULL, "enterprise_name" character varying(100) NOT NULL, "applicant_id" uuid NOT NULL, "seal_kinds" character varying(16) array NOT NULL, "status" character varying(16) NOT NULL, "decision_reason" character varying(200), "decided_by" uuid, "decided_at" TIMESTAMP WITH TIME ZONE, "enterprise_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "enterprise_seal_applications_status_check" CHECK ("status" IN ('submitted', 'approved', 'rejected')), CONSTRAINT "PK_3e25d544873e48d91e719b575c5" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE INDEX "enterprise_seal_applications_applicant_idx" ON "enterprise_seal_applications"  ("applicant_id")`,
    );
    await db.query(
      `CREATE INDEX "enterprise_seal_applications_status_idx" ON "enterprise_seal_applications"  ("status", "created_at")`,
    );
    await db.query(
      `CREATE TABLE "enterprise_seals" ("seal_id" uuid NOT NULL, "enterprise_id" uuid NOT NULL, "kind" character varying(16) NOT NULL, "application_id" uuid NOT NULL, CONSTRAINT "enterprise_seals_kind_check" CHECK ("kind" IN ('official', 'finance', 'contract', 'invoice')), CONSTRAINT "PK_c998a7c9102de39e72b71bc385f" PRIMARY KEY ("seal_id"))`,
    );
    await db.query(`CREATE INDEX "enterprise_seals_enterprise_idx" ON "enterprise_seals"  ("enterprise_id")`);
    await db.query(
      `CREATE TABLE "enterprise_seal_users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seal_id" uuid NOT NULL, "person_id" uuid NOT NULL, "granted_by" uuid NOT NULL, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "removed_by" uuid, "removed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_76d08e15e6a4e088e00f5f3257f" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "enterprise_seal_users_person_idx" ON "enterprise_seal_users"  ("person_id")`);
    await db.query(
      `CREATE UNIQUE INDEX "enterprise_seal_users_current_key" ON "enterprise_seal_users"  ("seal_id", "person_id") WHERE "removed_at" IS NULL`,
    );
    await db.query(
      `CREATE TABLE "enterprise_seal_uses" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seal_id" uuid NOT NULL, "person_id" uuid, "api_key_id" uuid, "document_sha256" character(64) NOT NULL, "signed_sha256" character(64) NOT NULL, "page" integer NOT NULL, "x" real NOT NULL, "y" real NOT NULL, "certificate_serial" character varying(64) NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "enterprise_seal_uses_actor_check" CHECK (("person_id" IS NULL) <> ("api_key_id" IS NULL)), CONSTRAINT "PK_04f687c09a9c9c7a16aac608ea1" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE INDEX "enterprise_seal_uses_seal_time_idx" ON "enterprise_seal_uses"  ("seal_id", "used_at")`,
    );
    await db.query(
      `CREATE TABLE "enterprise_api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "enterprise_id" uuid NOT NULL, "prefix" character varying(16) NOT NULL, "secret_hash" character(64) NOT NULL, "label" character varying(64) NOT NULL, "created_by" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_63f1972838f97d03f13d5ca65a4" UNIQUE ("prefix"), CONSTRAINT "PK_8658c394b5f1b86709fb4f4aa9c" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "enterprise_api_keys_enterprise_idx" ON "enterprise_api_keys"  ("enterprise_id")`);
    await db.query(
      `ALTER TABLE "enterprises" ADD CONSTRAINT "FK_9587d80f743029683df5be12b7d" FOREIGN KEY ("legal_representative_id") REFERENCES "people"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seal_applications" ADD CONSTRAINT "FK_0122095167c4386af4cc232e858" FOREIGN KEY ("applicant_id") REFERENCES "people"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seal_applications" ADD CONSTRAINT "FK_1d560ad24901710c977f877852a" FOREIGN KEY ("enterprise_id") REFERENCES "enterprises"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seals" ADD CONSTRAINT "FK_c998a7c9102de39e72b71bc385f" FOREIGN KEY ("seal_id") REFERENCES "seals"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seals" ADD CONSTRAINT "FK_fd54157b8cf392c87aeffd1ec75" FOREIGN KEY ("enterprise_id") REFERENCES "enterprises"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seals" ADD CONSTRAINT "FK_85ff7bc4d49fb7d70e8c6edc32f" FOREIGN KEY ("application_id") REFERENCES "enterprise_seal_applications"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seal_users" ADD CONSTRAINT "FK_070076d7494509af29f10b5e689" FOREIGN KEY ("seal_id") REFERENCES "seals"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seal_users" ADD CONSTRAINT "FK_8f8c4bdef1d936f97f1223d2220" FOREIGN KEY ("person_id") REFERENCES "people"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seal_uses" ADD CONSTRAINT "FK_a6ba7c07e8a551930b4887c01d1" FOREIGN KEY ("seal_id") REFERENCES "seals"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seal_uses" ADD CONSTRAINT "FK_d5b427a555ecd038cc8f5df0535" FOREIGN KEY ("person_id") REFERENCES "people"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_seal_uses" ADD CONSTRAINT "FK_a34c1d34de6354b60335c24434c" FOREIGN KEY ("api_key_id") REFERENCES "enterprise_api_keys"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "enterprise_api_keys" ADD CONSTRAINT "FK_5d39f28005f19bbf6e511c3deed" FOREIGN KEY ("enterprise_id") REFERENCES "enterprises"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "enterprise_api_keys" DROP CONSTRAINT "FK_5d39f28005f19bbf6e511c3deed"`);
    await db.query(`ALTER TABLE "enterprise_seal_uses" DROP CONSTRAINT "FK_a34c1d34de6354b60335c24434c"`);
    await db.query(`ALTER TABLE "enterprise_seal_uses" DROP CONSTRAINT "FK_d5b427a555ecd038cc8f5df0535"`);
    await db.query(`ALTER TABLE "enterprise_seal_uses" DROP CONSTRAINT "FK_a6ba7c07e8a551930b4887c01d1"`);
    await db.query(`ALTER TABLE "enterprise_seal_users" DROP CONSTRAINT "FK_8f8c4bdef1d936f97f1223d2220"`);
    await db.query(`ALTER TABLE "enterprise_seal_users" DROP CONSTRAINT "FK_070076d7494509af29f10b5e689"`);
    await db.query(`ALTER TABLE "enterprise_seals" DROP CONSTRAINT "FK_85ff7bc4d49fb7d70e8c6edc32f"`);
    await db.query(`ALTER TABLE "enterprise_seals" DROP CONSTRAINT "FK_fd54157b8cf392c87aeffd1ec75"`);
    await db.query(`ALTER TABLE "enterprise_seals" DROP CONSTRAINT "FK_c998a7c9102de39e72b71bc385f"`);
    await db.query(`ALTER TABLE "enterprise_seal_applications" DROP CONSTRAINT "FK_1d560ad24901710c977f877852a"`);
    await db.query(`ALTER TABLE "enterprise_seal_applications" DROP CONSTRAINT "FK_0122095167c4386af4cc232e858"`);
    await db.query(`ALTER TABLE "enterprises" DROP CONSTRAINT "FK_9587d80f743029683df5be12b7d"`);
    await db.query(`DROP INDEX "public"."enterprise_api_keys_enterprise_idx"`);
    await db.query(`DROP TABLE "enterprise_api_keys"`);
    await db.query(`DROP INDEX "public"."enterprise_seal_uses_seal_time_idx"`);
    await db.query(`DROP TABLE "enterprise_seal_uses"`);
    await db.query(`DROP INDEX "public"."enterprise_seal_users_current_key"`);
    await db.query(`DROP INDEX "public"."enterprise_seal_users_person_idx"`);
    await db.query(`DROP TABLE "enterprise_seal_users"`);
    await db.query(`DROP INDEX "public"."enterprise_seals_enterprise_idx"`);
    await db.query(`DROP TABLE "enterprise_seals"`);
    await db.query(`DROP INDEX "public"."enterprise_seal_applications_status_idx"`);
    await db.query(`DROP INDEX "public"."enterprise_seal_applications_applicant_idx"`);
    await db.query(`DROP TABLE "enterprise_seal_applications"`);
    await db.query(`DROP TABLE "enterprises"`);
    // Enterprise seals go with the enterprises, with what the seal lifecycle recorded of them.
    const enterpriseSeals = `SELECT "id" FROM "seals" WHERE "kind" = 'enterprise'`;
    await db.query(`DELETE FROM "seal_status_events" WHERE "seal_id" IN (${enterpriseSeals})`);
    await db.query(`DELETE FROM "seal_certificates" WHERE "seal_id" IN (${enterpriseSeals})`);
    await db.query(`DELETE FROM "seals" WHERE "kind" = 'enterprise'`);
    await db.query(`ALTER TABLE "seals" DROP CONSTRAINT "seals_owner_check"`);
    await db.query(`ALTER TABLE "seals" ALTER COLUMN "organization_id" SET NOT NULL`);
    await db.query(`ALTER TABLE "seals" DROP CONSTRAINT "seals_kind_check"`);
    await db.query(`ALTER TABLE "seals" ADD CONSTRAINT "seals_kind_check" CHECK ("kind" IN ('committee'))`);
  }
}
