import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Seal lifecycle and CRLs: each seal's status history (to answer "its state when it signed"), every
 * certificate a seal has had (renewal and key rotation keep the old ones for the documents they
 * signed), the certificates the district's CAs have revoked, and the CRLs published from them.
 * Existing seals get their creation as the first event and their certificate as the first of the list.
 */
export class SealLifecycle1796000000000 implements MigrationInterface {
  name = 'SealLifecycle1796000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE TABLE "seal_status_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seal_id" uuid NOT NULL, "action" character varying(16) NOT NULL, "status" character varying(16) NOT NULL, "reason" character varying(200), "actor_id" uuid, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "seal_status_events_action_check" CHECK ("action" IN ('create', 'suspend', 'reinstate', 'revoke')), CONSTRAINT "seal_status_events_status_check" CHECK ("status" IN ('active', 'suspended', 'revoked')), CONSTRAINT "PK_ba95c3143f2cc94d4dcbd250a69" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE INDEX "seal_status_events_seal_time_idx" ON "seal_status_events"  ("seal_id", "occurred_at")`,
    );
    await db.query(
      `CREATE TABLE "seal_certificates" ("key_id" uuid NOT NULL, "certificate_der" bytea NOT NULL, "serial_hex" character varying(64) NOT NULL, "not_before" TIMESTAMP WITH TIME ZONE NOT NULL, "not_after" TIMESTAMP WITH TIME ZONE NOT NULL, "issuer_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "seal_id" uuid NOT NULL, "replaced_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ba38f5238f164cb5488f16b4089" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE UNIQUE INDEX "seal_certificates_issuer_serial_key" ON "seal_certificates"  ("issuer_id", "serial_hex")`,
    );
    await db.query(`CREATE INDEX "seal_certificates_seal_idx" ON "seal_certificates"  ("seal_id", "not_before")`);
    await db.query(
      `CREATE TABLE "revoked_certificates" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "issuer_id" uuid NOT NULL, "serial_hex" character varying(64) NOT NULL, "reason" character varying(32) NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE NOT NULL, "certificate_not_after" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_ef2507f561eb7019790a7e46899" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE UNIQUE INDEX "revoked_certificates_issuer_serial_key" ON "revoked_certificates"  ("issuer_id", "serial_hex")`,
    );
    await db.query(
      `CREATE TABLE "certificate_revocation_lists" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "issuer_id" uuid NOT NULL, "crl_number" bigint NOT NULL, "this_update" TIMESTAMP WITH TIME ZONE NOT NULL, "next_update" TIMESTAMP WITH TIME ZONE NOT NULL, "der" bytea NOT NULL, CONSTRAINT "PK_58ca8773343605a78841d85892e" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE UNIQUE INDEX "certificate_revocation_lists_issuer_number_key" ON "certificate_revocation_lists"  ("issuer_id", "crl_number")`,
    );
    await db.query(`ALTER TABLE "seals" ADD "status_changed_at" TIMESTAMP WITH TIME ZONE`);
    await db.query(`ALTER TABLE "seals" ADD "status_changed_by" uuid`);
    await db.query(
      `ALTER TABLE "seal_status_events" ADD CONSTRAINT "FK_9791c1c79a1bd0c0a2590f149c2" FOREIGN KEY ("seal_id") REFERENCES "seals"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "seal_certificates" ADD CONSTRAINT "FK_0eb446fbc138ca883eb4464a1a4" FOREIGN KEY ("key_id") REFERENCES "signing_keys"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "seal_certificates" ADD CONSTRAINT "FK_26491ed37746f760d7180af3f16" FOREIGN KEY ("issuer_id") REFERENCES "certificate_authorities"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "seal_certificates" ADD CONSTRAINT "FK_44aed417e45bd334a240c0c8f74" FOREIGN KEY ("seal_id") REFERENCES "seals"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "revoked_certificates" ADD CONSTRAINT "FK_dd710e4caffdeb60989fd848187" FOREIGN KEY ("issuer_id") REFERENCES "certificate_authorities"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "certificate_revocation_lists" ADD CONSTRAINT "FK_d3642c806a82486fa286b061403" FOREIGN KEY ("issuer_id") REFERENCES "certificate_authorities"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(`UPDATE "seals" SET "status_changed_at" = "created_at"`);
    await db.query(
      `INSERT INTO "seal_status_events" ("seal_id", "action", "status", "reason", "occurred_at") SELECT "id", 'create', 'active', NULL, "created_at" FROM "seals"`,
    );
    await db.query(
      `INSERT INTO "seal_status_events" ("seal_id", "action", "status", "reason", "occurred_at") SELECT "id", CASE "status" WHEN 'revoked' THEN 'revoke' ELSE 'suspend' END, "status", "status_reason", "updated_at" FROM "seals" WHERE "status" <> 'active'`,
    );
    await db.query(
      `INSERT INTO "seal_certificates" ("seal_id", "key_id", "issuer_id", "certificate_der", "serial_hex", "not_before", "not_after", "created_at") SELECT "id", "key_id", "issuer_id", "certificate_der", "serial_hex", "not_before", "not_after", "created_at" FROM "seals"`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "certificate_revocation_lists" DROP CONSTRAINT "FK_d3642c806a82486fa286b061403"`);
    await db.query(`ALTER TABLE "revoked_certificates" DROP CONSTRAINT "FK_dd710e4caffdeb60989fd848187"`);
    await db.query(`ALTER TABLE "seal_certificates" DROP CONSTRAINT "FK_44aed417e45bd334a240c0c8f74"`);
    await db.query(`ALTER TABLE "seal_certificates" DROP CONSTRAINT "FK_26491ed37746f760d7180af3f16"`);
    await db.query(`ALTER TABLE "seal_certificates" DROP CONSTRAINT "FK_0eb446fbc138ca883eb4464a1a4"`);
    await db.query(`ALTER TABLE "seal_status_events" DROP CONSTRAINT "FK_9791c1c79a1bd0c0a2590f149c2"`);
    await db.query(`ALTER TABLE "seals" DROP COLUMN "status_changed_by"`);
    await db.query(`ALTER TABLE "seals" DROP COLUMN "status_changed_at"`);
    await db.query(`DROP TABLE "certificate_revocation_lists"`);
    await db.query(`DROP TABLE "revoked_certificates"`);
    await db.query(`DROP TABLE "seal_certificates"`);
    await db.query(`DROP TABLE "seal_status_events"`);
  }
}
