import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signing and certificates: the key store's records, the district CAs, the committees' seals, the
 * approvers' personal signing certificates, issued certificates with their per-committee serials, and
 * the number code and template that each certificate type version now carries.
 */
export class SigningAndCertificates1795600000000 implements MigrationInterface {
  name = 'SigningAndCertificates1795600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE TABLE "signing_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "store" character varying(16) NOT NULL, "algorithm" character varying(16) NOT NULL, "label" character varying(100) NOT NULL, "handle" text NOT NULL, "public_key_spki" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "signing_keys_algorithm_check" CHECK ("algorithm" IN ('ec-p256', 'rsa-2048')), CONSTRAINT "signing_keys_store_check" CHECK ("store" IN ('software', 'pkcs11')), CONSTRAINT "PK_ab7d78cf6e61dc3904133b4cd55" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE TABLE "certificate_authorities" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(16) NOT NULL, "subject" character varying(200) NOT NULL, "key_id" uuid NOT NULL, "certificate_der" bytea NOT NULL, "serial_hex" character varying(64) NOT NULL, "not_before" TIMESTAMP WITH TIME ZONE NOT NULL, "not_after" TIMESTAMP WITH TIME ZONE NOT NULL, "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "certificate_authorities_kind_check" CHECK ("kind" IN ('root', 'issuing')), CONSTRAINT "PK_690283adc59b534105adf288da2" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE UNIQUE INDEX "certificate_authorities_active_kind_key" ON "certificate_authorities"  ("kind") WHERE "active"`,
    );
    await db.query(
      `CREATE TABLE "seals" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(16) NOT NULL, "code" character varying(13) NOT NULL, "organization_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "status" character varying(16) NOT NULL, "status_reason" character varying(200), "key_id" uuid NOT NULL, "issuer_id" uuid NOT NULL, "certificate_der" bytea NOT NULL, "serial_hex" character varying(64) NOT NULL, "not_before" TIMESTAMP WITH TIME ZONE NOT NULL, "not_after" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_c719c31c9004401d04e837a1b98" UNIQUE ("code"), CONSTRAINT "seals_kind_check" CHECK ("kind" IN ('committee')), CONSTRAINT "seals_status_check" CHECK ("status" IN ('active', 'suspended', 'revoked')), CONSTRAINT "PK_1deb9b3472b2f3b2b41173a2cad" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE UNIQUE INDEX "seals_organization_current_key" ON "seals"  ("organization_id") WHERE "status" <> 'revoked'`,
    );
    await db.query(
      `CREATE TABLE "personal_signing_certificates" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "person_id" uuid NOT NULL, "key_id" uuid NOT NULL, "issuer_id" uuid NOT NULL, "certificate_der" bytea NOT NULL, "serial_hex" character varying(64) NOT NULL, "not_before" TIMESTAMP WITH TIME ZONE NOT NULL, "not_after" TIMESTAMP WITH TIME ZONE NOT NULL, "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d7c4fda2233556c56546ef15f84" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE UNIQUE INDEX "personal_signing_certificates_person_active_key" ON "personal_signing_certificates"  ("person_id") WHERE "active"`,
    );
    await db.query(
      `CREATE TABLE "certificates" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "application_id" uuid NOT NULL, "number" character varying(40) NOT NULL, "status" character varying(16) NOT NULL, "type_version_id" uuid NOT NULL, "committee_id" uuid NOT NULL, "verification_code_enc" text NOT NULL, "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL, "valid_until" TIMESTAMP WITH TIME ZONE NOT NULL, "seal_id" uuid, "seal_serial_hex" character varying(64), "approver_certificate_id" uuid, "approver_serial_hex" character varying(64), "document_sha256" character(64), "document_bytes" integer, "storage_key" character varying(300), "signed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_2cc147e8a7deb49696a2b8cf5bc" UNIQUE ("application_id"), CONSTRAINT "UQ_8b379f595aea96c9406c5a44900" UNIQUE ("number"), CONSTRAINT "certificates_status_check" CHECK ("status" IN ('pending', 'issued', 'revoked')), CONSTRAINT "PK_e4c7e31e2144300bea7d89eb165" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "certificates_seal_idx" ON "certificates"  ("seal_id", "issued_at")`);
    await db.query(`CREATE INDEX "certificates_committee_issued_idx" ON "certificates"  ("committee_id", "issued_at")`);
    await db.query(
      `CREATE TABLE "certificate_serials" ("committee_id" uuid NOT NULL, "number_code" character(2) NOT NULL, "year" smallint NOT NULL, "last_serial" integer NOT NULL, CONSTRAINT "PK_5233d6a9053eff5c2c2e52b96ad" PRIMARY KEY ("committee_id", "number_code", "year"))`,
    );
    await db.query(`ALTER TABLE "certificate_type_versions" ADD "number_code" character(2)`);
    await db.query(`ALTER TABLE "certificate_type_versions" ADD "certificate_template" json`);
    await db.query(
      `ALTER TABLE "certificate_authorities" ADD CONSTRAINT "FK_82562309c4d18c5e61835a939b5" FOREIGN KEY ("key_id") REFERENCES "signing_keys"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "seals" ADD CONSTRAINT "FK_db71e435f6afa42e04aca89b1fb" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "seals" ADD CONSTRAINT "FK_6e2d10ffdbca7e48e4302269558" FOREIGN KEY ("key_id") REFERENCES "signing_keys"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "seals" ADD CONSTRAINT "FK_59ffd09c90b503a982b2c90a2b0" FOREIGN KEY ("issuer_id") REFERENCES "certificate_authorities"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "personal_signing_certificates" ADD CONSTRAINT "FK_f1fd4b3ef91b0f04954a042b052" FOREIGN KEY ("person_id") REFERENCES "people"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "personal_signing_certificates" ADD CONSTRAINT "FK_e83e94501e724c5189fc474c6c1" FOREIGN KEY ("key_id") REFERENCES "signing_keys"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "personal_signing_certificates" ADD CONSTRAINT "FK_68a2bb18e7e192e830ac9bdf65a" FOREIGN KEY ("issuer_id") REFERENCES "certificate_authorities"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "certificates" ADD CONSTRAINT "FK_2cc147e8a7deb49696a2b8cf5bc" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "certificates" ADD CONSTRAINT "FK_52169b3964173f3f5361761e177" FOREIGN KEY ("type_version_id") REFERENCES "certificate_type_versions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "certificates" ADD CONSTRAINT "FK_37df74b1c0e3f399e5e209d71a2" FOREIGN KEY ("committee_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "certificates" ADD CONSTRAINT "FK_1f4cfb5722a272fa5babfcc74a0" FOREIGN KEY ("seal_id") REFERENCES "seals"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "certificates" ADD CONSTRAINT "FK_aeea20bff576fb7e2704b8069c9" FOREIGN KEY ("approver_certificate_id") REFERENCES "personal_signing_certificates"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "certificates" DROP CONSTRAINT "FK_aeea20bff576fb7e2704b8069c9"`);
    await db.query(`ALTER TABLE "certificates" DROP CONSTRAINT "FK_1f4cfb5722a272fa5babfcc74a0"`);
    await db.query(`ALTER TABLE "certificates" DROP CONSTRAINT "FK_37df74b1c0e3f399e5e209d71a2"`);
    await db.query(`ALTER TABLE "certificates" DROP CONSTRAINT "FK_52169b3964173f3f5361761e177"`);
    await db.query(`ALTER TABLE "certificates" DROP CONSTRAINT "FK_2cc147e8a7deb49696a2b8cf5bc"`);
    await db.query(`ALTER TABLE "personal_signing_certificates" DROP CONSTRAINT "FK_68a2bb18e7e192e830ac9bdf65a"`);
    await db.query(`ALTER TABLE "personal_signing_certificates" DROP CONSTRAINT "FK_e83e94501e724c5189fc474c6c1"`);
    await db.query(`ALTER TABLE "personal_signing_certificates" DROP CONSTRAINT "FK_f1fd4b3ef91b0f04954a042b052"`);
    await db.query(`ALTER TABLE "seals" DROP CONSTRAINT "FK_59ffd09c90b503a982b2c90a2b0"`);
    await db.query(`ALTER TABLE "seals" DROP CONSTRAINT "FK_6e2d10ffdbca7e48e4302269558"`);
    await db.query(`ALTER TABLE "seals" DROP CONSTRAINT "FK_db71e435f6afa42e04aca89b1fb"`);
    await db.query(`ALTER TABLE "certificate_authorities" DROP CONSTRAINT "FK_82562309c4d18c5e61835a939b5"`);
    await db.query(`ALTER TABLE "certificate_type_versions" DROP COLUMN "certificate_template"`);
    await db.query(`ALTER TABLE "certificate_type_versions" DROP COLUMN "number_code"`);
    await db.query(`DROP TABLE "certificate_serials"`);
    await db.query(`DROP INDEX "public"."certificates_committee_issued_idx"`);
    await db.query(`DROP INDEX "public"."certificates_seal_idx"`);
    await db.query(`DROP TABLE "certificates"`);
    await db.query(`DROP INDEX "public"."personal_signing_certificates_person_active_key"`);
    await db.query(`DROP TABLE "personal_signing_certificates"`);
    await db.query(`DROP INDEX "public"."seals_organization_current_key"`);
    await db.query(`DROP TABLE "seals"`);
    await db.query(`DROP INDEX "public"."certificate_authorities_active_kind_key"`);
    await db.query(`DROP TABLE "certificate_authorities"`);
    await db.query(`DROP TABLE "signing_keys"`);
  }
}
