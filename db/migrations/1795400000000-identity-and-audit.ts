import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People, staff roles, sessions and sign-ins in progress; verifier institutions and their API keys;
 * and the audit log, which no database role may change once written: a trigger refuses UPDATE,
 * DELETE and TRUNCATE, so only someone able to disable triggers (the table owner or a superuser,
 * never the application in production) can alter it, and the hash chain shows that they did.
 */
export class IdentityAndAudit1795400000000 implements MigrationInterface {
  name = 'IdentityAndAudit1795400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE TABLE "audit_events" ("seq" bigint NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor_type" character varying(16) NOT NULL, "actor_id" uuid, "action" character varying(64) NOT NULL, "outcome" character varying(16) NOT NULL, "object_type" character varying(32), "object_id" character varying(64), "organization_id" uuid, "request_id" character varying(64), "details" jsonb NOT NULL, "prev_hash" character(64) NOT NULL, "hash" character(64) NOT NULL, CONSTRAINT "PK_6e299f5706e715265416fefe53e" PRIMARY KEY ("seq"))`,
    );
    await db.query(`CREATE INDEX "audit_events_occurred_idx" ON "audit_events" ("occurred_at")`);
    await db.query(`CREATE INDEX "audit_events_object_idx" ON "audit_events" ("object_type", "object_id", "seq")`);
    await db.query(`CREATE INDEX "audit_events_actor_idx" ON "audit_events" ("actor_id", "seq")`);
    await db.query(
      `CREATE TABLE "people" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "oidc_issuer" character varying(255), "oidc_subject" character varying(255), "name" character varying(64) NOT NULL, "id_number_enc" text NOT NULL, "id_number_hash" character(64) NOT NULL, "phone_enc" text, "phone_hash" character(64), "assurance_level" smallint NOT NULL DEFAULT '0', "last_login_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_c0292e2a28b2e40adaaf179e645" UNIQUE ("id_number_hash"), CONSTRAINT "PK_aa866e71353ee94c6cc51059c5b" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "people_phone_hash_idx" ON "people" ("phone_hash")`);
    await db.query(`CREATE UNIQUE INDEX "people_oidc_subject_key" ON "people" ("oidc_issuer", "oidc_subject")`);
    await db.query(
      `CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "person_id" uuid NOT NULL, "access_token_hash" character(64) NOT NULL, "access_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "refresh_token_hash" character(64) NOT NULL, "previous_refresh_token_hash" character(64), "refresh_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" character varying(32), CONSTRAINT "UQ_88ef72a4c63fc332c665ba28fd1" UNIQUE ("access_token_hash"), CONSTRAINT "UQ_d6185b2849a1e4d0c067a57ca89" UNIQUE ("refresh_token_hash"), CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "sessions_previous_refresh_idx" ON "sessions" ("previous_refresh_token_hash")`);
    await db.query(`CREATE INDEX "sessions_person_idx" ON "sessions" ("person_id")`);
    await db.query(
      `CREATE TABLE "staff_roles" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "person_id" uuid NOT NULL, "role" character varying(16) NOT NULL, "organization_id" uuid NOT NULL, "granted_by" uuid, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" uuid, CONSTRAINT "staff_roles_role_check" CHECK ("role" IN ('clerk', 'approver', 'supervisor', 'admin')), CONSTRAINT "PK_87101d9c9d1604a36152cfad1c5" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "staff_roles_organization_idx" ON "staff_roles" ("organization_id")`);
    await db.query(
      `CREATE UNIQUE INDEX "staff_roles_active_key" ON "staff_roles" ("person_id", "role", "organization_id") WHERE "revoked_at" IS NULL`,
    );
    await db.query(
      `CREATE TABLE "verifier_institutions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(100) NOT NULL, "sector" character varying(16) NOT NULL, "credit_code" character varying(18), "active" boolean NOT NULL DEFAULT true, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_1d98847449994108fd19f1cad2c" UNIQUE ("credit_code"), CONSTRAINT "verifier_institutions_sector_check" CHECK ("sector" IN ('government', 'bank', 'school', 'other')), CONSTRAINT "PK_13fd57aebb58670cddf64beadf2" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE TABLE "verifier_api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "institution_id" uuid NOT NULL, "prefix" character varying(16) NOT NULL, "secret_hash" character(64) NOT NULL, "label" character varying(64) NOT NULL, "rate_limit_per_minute" integer NOT NULL, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" uuid, CONSTRAINT "UQ_5852b3baac7426111da902f6f4c" UNIQUE ("prefix"), CONSTRAINT "PK_fde98c2aa2ff2d1b80aec3b9864" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "verifier_api_keys_institution_idx" ON "verifier_api_keys" ("institution_id")`);
    await db.query(
      `CREATE TABLE "login_requests" ("state_hash" character(64) NOT NULL, "code_verifier" character varying(128) NOT NULL, "nonce" character varying(64) NOT NULL, "return_to" character varying(512) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_4f3cb48f3b73a43e2608f0fd63f" PRIMARY KEY ("state_hash"))`,
    );
    await db.query(
      `ALTER TABLE "sessions" ADD CONSTRAINT "FK_c3942eab830cae599a763e11557" FOREIGN KEY ("person_id") REFERENCES "people"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "staff_roles" ADD CONSTRAINT "FK_dee0d5f8a398ca6a302f9fb00d3" FOREIGN KEY ("person_id") REFERENCES "people"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "staff_roles" ADD CONSTRAINT "FK_b2091dad47329825c7d457954d8" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "verifier_api_keys" ADD CONSTRAINT "FK_d35ff46f5ddd01f3b328de5becf" FOREIGN KEY ("institution_id") REFERENCES "verifier_institutions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
       END $$`,
    );
    await db.query(
      `CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`,
    );
    await db.query(
      `CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON "audit_events" FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`,
    );
    await db.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "audit_events" FROM PUBLIC`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE "verifier_api_keys"`);
    await db.query(`DROP TABLE "verifier_institutions"`);
    await db.query(`DROP TABLE "login_requests"`);
    await db.query(`DROP TABLE "sessions"`);
    await db.query(`DROP TABLE "staff_roles"`);
    await db.query(`DROP TABLE "people"`);
    await db.query(`DROP TABLE "audit_events"`);
    await db.query(`DROP FUNCTION audit_events_append_only()`);
  }
}
