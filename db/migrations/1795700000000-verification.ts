import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Verification: the log of every check, the presentation-token keys, and on certificates the masked
 * holder (shown by verification without a join through personal data) and the revocation.
 */
export class Verification1795700000000 implements MigrationInterface {
  name = 'Verification1795700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE TABLE "verifications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "certificate_id" uuid, "institution_id" uuid, "sector" character varying(16) NOT NULL, "method" character varying(8) NOT NULL, "result" character varying(8) NOT NULL, "checked_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "verifications_sector_check" CHECK ("sector" IN ('government', 'bank', 'school', 'other', 'anonymous') AND (("sector" = 'anonymous') = ("institution_id" IS NULL))), CONSTRAINT "verifications_result_check" CHECK ("result" IN ('valid', 'expired', 'revoked', 'unknown', 'invalid')), CONSTRAINT "verifications_method_check" CHECK ("method" IN ('qr', 'manual', 'api', 'pdf')), CONSTRAINT "PK_2127ad1b143cf012280390b01d1" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "verifications_checked_at_idx" ON "verifications"  ("checked_at") `);
    await db.query(
      `CREATE INDEX "verifications_certificate_idx" ON "verifications"  ("certificate_id", "checked_at") `,
    );
    await db.query(
      `CREATE TABLE "presentation_keys" ("id" character varying(16) NOT NULL, "signing_key_id" uuid NOT NULL, "public_jwk" jsonb NOT NULL, "not_before" TIMESTAMP WITH TIME ZONE NOT NULL, "not_after" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6a431349b955f5fb4fbc590e453" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "presentation_keys_not_after_idx" ON "presentation_keys"  ("not_after") `);
    // Certificates issued before this migration get the holder's masked name from their application;
    // the masked ID number needs the decryption key, which SQL does not have, so it stays empty.
    await db.query(`ALTER TABLE "certificates" ADD "holder_name_masked" character varying(64) NOT NULL DEFAULT ''`);
    await db.query(`ALTER TABLE "certificates" ADD "holder_id_masked" character varying(32) NOT NULL DEFAULT ''`);
    await db.query(
      `UPDATE "certificates" c SET "holder_name_masked" = a."applicant_name_masked" FROM "applications" a WHERE a."id" = c."application_id"`,
    );
    await db.query(`ALTER TABLE "certificates" ALTER COLUMN "holder_name_masked" DROP DEFAULT`);
    await db.query(`ALTER TABLE "certificates" ALTER COLUMN "holder_id_masked" DROP DEFAULT`);
    await db.query(`ALTER TABLE "certificates" ADD "revoked_at" TIMESTAMP WITH TIME ZONE`);
    await db.query(`ALTER TABLE "certificates" ADD "revocation_reason" character varying(200)`);
    await db.query(`ALTER TABLE "certificates" ADD "revoked_by" uuid`);
    await db.query(`UPDATE "certificates" SET "revoked_at" = "updated_at" WHERE "status" = 'revoked'`);
    await db.query(`CREATE INDEX "certificates_document_sha256_idx" ON "certificates"  ("document_sha256") `);
    await db.query(
      `ALTER TABLE "certificates" ADD CONSTRAINT "certificates_revocation_check" CHECK (("status" = 'revoked') = ("revoked_at" IS NOT NULL))`,
    );
    await db.query(
      `ALTER TABLE "verifications" ADD CONSTRAINT "FK_41f1cccc678c319496f2a6261fd" FOREIGN KEY ("certificate_id") REFERENCES "certificates"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "verifications" ADD CONSTRAINT "FK_9d3887f9868d57dab0d6850fef3" FOREIGN KEY ("institution_id") REFERENCES "verifier_institutions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "presentation_keys" ADD CONSTRAINT "FK_f6fd0e0639245436207aee8b252" FOREIGN KEY ("signing_key_id") REFERENCES "signing_keys"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "presentation_keys" DROP CONSTRAINT "FK_f6fd0e0639245436207aee8b252"`);
    await db.query(`ALTER TABLE "verifications" DROP CONSTRAINT "FK_9d3887f9868d57dab0d6850fef3"`);
    await db.query(`ALTER TABLE "verifications" DROP CONSTRAINT "FK_41f1cccc678c319496f2a6261fd"`);
    await db.query(`ALTER TABLE "certificates" DROP CONSTRAINT "certificates_revocation_check"`);
    await db.query(`DROP INDEX "public"."certificates_document_sha256_idx"`);
    await db.query(`ALTER TABLE "certificates" DROP COLUMN "revoked_by"`);
    await db.query(`ALTER TABLE "certificates" DROP COLUMN "revocation_reason"`);
    await db.query(`ALTER TABLE "certificates" DROP COLUMN "revoked_at"`);
    await db.query(`ALTER TABLE "certificates" DROP COLUMN "holder_id_masked"`);
    await db.query(`ALTER TABLE "certificates" DROP COLUMN "holder_name_masked"`);
    await db.query(`DROP INDEX "public"."presentation_keys_not_after_idx"`);
    await db.query(`DROP TABLE "presentation_keys"`);
    await db.query(`DROP INDEX "public"."verifications_certificate_idx"`);
    await db.query(`DROP INDEX "public"."verifications_checked_at_idx"`);
    await db.query(`DROP TABLE "verifications"`);
  }
}
