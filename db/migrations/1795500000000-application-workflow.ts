import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The application workflow: applications with their materials, supplement requests, submitted
 * rounds and timeline; Idempotency-Keys; the working-day calendar; in-app notifications; and the
 * outbox that carries every asynchronous consequence of a transition (SMS, issuing).
 */
export class ApplicationWorkflow1795500000000 implements MigrationInterface {
  name = 'ApplicationWorkflow1795500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE TABLE "applications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "reference_no" character varying(24) NOT NULL, "type_code" character varying(64) NOT NULL, "type_version_id" uuid NOT NULL, "committee_id" uuid NOT NULL, "town_id" uuid NOT NULL, "applicant_id" uuid NOT NULL, "applicant_name_masked" character varying(64) NOT NULL, "status" character varying(24) NOT NULL, "form_enc" text NOT NULL, "round" integer NOT NULL DEFAULT '0', "time_limit_working_days" integer NOT NULL, "clock_used_working_days" integer NOT NULL DEFAULT '0', "clock_running_since" date, "rejection_reason" character varying(500), "submitted_at" TIMESTAMP WITH TIME ZONE, "decided_at" TIMESTAMP WITH TIME ZONE, "approved_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_8b9895c299d0da370ab9fcd4fd5" UNIQUE ("reference_no"), CONSTRAINT "applications_status_check" CHECK (status IN ('draft','submitted','in_review','supplement_requested','approved','issued','rejected','withdrawn','revoked')), CONSTRAINT "PK_938c0a27255637bde919591888f" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "applications_applicant_idx" ON "applications" ("applicant_id", "created_at", "id") `);
    await db.query(
      `CREATE INDEX "applications_committee_status_idx" ON "applications" ("committee_id", "status", "submitted_at", "id") `,
    );
    await db.query(
      `CREATE INDEX "applications_queue_idx" ON "applications" ("committee_id", "submitted_at", "id") WHERE status IN ('submitted','in_review','supplement_requested','approved')`,
    );
    await db.query(
      `CREATE TABLE "application_materials" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "application_id" uuid NOT NULL, "requirement_key" character varying(64) NOT NULL, "round" integer NOT NULL, "file_name" character varying(120) NOT NULL, "kind" character varying(8) NOT NULL, "content_type" character varying(64) NOT NULL, "size_bytes" integer NOT NULL, "sha256" character(64) NOT NULL, "storage_key" character varying(512) NOT NULL, "uploaded_by" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_fb13e19bcd5161a7b65cec5139f" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE INDEX "application_materials_application_idx" ON "application_materials" ("application_id", "requirement_key") `,
    );
    await db.query(
      `CREATE TABLE "supplement_requests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "application_id" uuid NOT NULL, "round" integer NOT NULL, "items" jsonb NOT NULL, "note" character varying(500), "requested_by" uuid NOT NULL, "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "answered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_7cfd6fb17d4222b3cca531f7440" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE UNIQUE INDEX "supplement_requests_application_round_key" ON "supplement_requests" ("application_id", "round") `,
    );
    await db.query(
      `CREATE TABLE "application_rounds" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "application_id" uuid NOT NULL, "round" integer NOT NULL, "form_enc" text NOT NULL, "submitted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d4d853462e19688ee0303c0cd18" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE UNIQUE INDEX "application_rounds_application_round_key" ON "application_rounds" ("application_id", "round") `,
    );
    await db.query(
      `CREATE TABLE "application_events" ("seq" BIGSERIAL NOT NULL, "application_id" uuid NOT NULL, "action" character varying(32) NOT NULL, "to_status" character varying(24) NOT NULL, "actor_role" character varying(16) NOT NULL, "actor_id" uuid, "note" character varying(500), "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cb7e7a713cfee5413a91c6ab7c4" PRIMARY KEY ("seq"))`,
    );
    await db.query(
      `CREATE INDEX "application_events_application_idx" ON "application_events" ("application_id", "seq") `,
    );
    await db.query(
      `CREATE TABLE "idempotency_keys" ("principal_id" uuid NOT NULL, "key" character varying(128) NOT NULL, "scope" character varying(64) NOT NULL, "request_hash" character(64) NOT NULL, "application_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3df5494b04add5b16d8608a3876" PRIMARY KEY ("principal_id", "key"))`,
    );
    await db.query(
      `CREATE TABLE "calendar_days" ("date" date NOT NULL, "kind" character varying(8) NOT NULL, "name" character varying(64) NOT NULL, CONSTRAINT "calendar_days_kind_check" CHECK (kind IN ('holiday','workday')), CONSTRAINT "PK_1c04d56e8833eb6827f104f17e0" PRIMARY KEY ("date"))`,
    );
    await db.query(
      `CREATE TABLE "notifications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "recipient_person_id" uuid, "recipient_organization_id" uuid, "application_id" uuid, "event" character varying(32) NOT NULL, "title" character varying(100) NOT NULL, "body" character varying(500) NOT NULL, "sms_to_enc" text, "sms_sent_at" TIMESTAMP WITH TIME ZONE, "sms_message_id" character varying(128), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "read_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_6a72c3c0f683f6462415e653c3a" PRIMARY KEY ("id"))`,
    );
    await db.query(
      `CREATE INDEX "notifications_organization_idx" ON "notifications" ("recipient_organization_id", "created_at") `,
    );
    await db.query(`CREATE INDEX "notifications_person_idx" ON "notifications" ("recipient_person_id", "created_at") `);
    await db.query(
      `CREATE TABLE "outbox" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "topic" character varying(64) NOT NULL, "aggregate_id" uuid NOT NULL, "payload" jsonb NOT NULL, "dedupe_key" character varying(160), "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "available_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "locked_until" TIMESTAMP WITH TIME ZONE, "last_error" character varying(1000), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "done_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_52c6221ea953d3acd726ca982d6" UNIQUE ("dedupe_key"), CONSTRAINT "outbox_status_check" CHECK (status IN ('pending','in_flight','done','dead')), CONSTRAINT "PK_340ab539f309f03bdaa14aa7649" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "outbox_aggregate_idx" ON "outbox" ("aggregate_id") `);
    await db.query(
      `CREATE INDEX "outbox_due_idx" ON "outbox" ("available_at") WHERE status IN ('pending','in_flight')`,
    );
    await db.query(
      `ALTER TABLE "applications" ADD CONSTRAINT "FK_018b9a94a8d0bbbae7b376619bc" FOREIGN KEY ("type_version_id") REFERENCES "certificate_type_versions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "applications" ADD CONSTRAINT "FK_0c3e15552a2bb74421727778026" FOREIGN KEY ("committee_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "applications" ADD CONSTRAINT "FK_e51eb3e489efec52d6a8245f2af" FOREIGN KEY ("town_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "applications" ADD CONSTRAINT "FK_194d0fca275b8661a56e486cb64" FOREIGN KEY ("applicant_id") REFERENCES "people"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "application_materials" ADD CONSTRAINT "FK_8513d785b7baa305873895f69d2" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "supplement_requests" ADD CONSTRAINT "FK_eeca5e43ad25686e265aab545e3" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "application_rounds" ADD CONSTRAINT "FK_04404a5065f5397d97b09816d5e" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "application_events" ADD CONSTRAINT "FK_58159d663fba2a48144c5ed3f4d" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await db.query(
      `ALTER TABLE "idempotency_keys" ADD CONSTRAINT "FK_584bdaea84bc14f7cdb917725ad" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    // jsonb sorts object keys; json keeps them as written, and the generated form follows that order.
    await db.query(
      `ALTER TABLE "certificate_type_versions" ALTER COLUMN "form_schema" TYPE json USING "form_schema"::text::json`,
    );
    // Reference numbers (SQ + date + serial) never repeat, whatever the day.
    await db.query(`CREATE SEQUENCE "application_reference_seq" AS bigint START 1`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP SEQUENCE "application_reference_seq"`);
    await db.query(
      `ALTER TABLE "certificate_type_versions" ALTER COLUMN "form_schema" TYPE jsonb USING "form_schema"::jsonb`,
    );
    await db.query(`ALTER TABLE "idempotency_keys" DROP CONSTRAINT "FK_584bdaea84bc14f7cdb917725ad"`);
    await db.query(`ALTER TABLE "application_events" DROP CONSTRAINT "FK_58159d663fba2a48144c5ed3f4d"`);
    await db.query(`ALTER TABLE "application_rounds" DROP CONSTRAINT "FK_04404a5065f5397d97b09816d5e"`);
    await db.query(`ALTER TABLE "supplement_requests" DROP CONSTRAINT "FK_eeca5e43ad25686e265aab545e3"`);
    await db.query(`ALTER TABLE "application_materials" DROP CONSTRAINT "FK_8513d785b7baa305873895f69d2"`);
    await db.query(`ALTER TABLE "applications" DROP CONSTRAINT "FK_194d0fca275b8661a56e486cb64"`);
    await db.query(`ALTER TABLE "applications" DROP CONSTRAINT "FK_e51eb3e489efec52d6a8245f2af"`);
    await db.query(`ALTER TABLE "applications" DROP CONSTRAINT "FK_0c3e15552a2bb74421727778026"`);
    await db.query(`ALTER TABLE "applications" DROP CONSTRAINT "FK_018b9a94a8d0bbbae7b376619bc"`);
    await db.query(`DROP INDEX "public"."outbox_due_idx"`);
    await db.query(`DROP INDEX "public"."outbox_aggregate_idx"`);
    await db.query(`DROP TABLE "outbox"`);
    await db.query(`DROP INDEX "public"."notifications_person_idx"`);
    await db.query(`DROP INDEX "public"."notifications_organization_idx"`);
    await db.query(`DROP TABLE "notifications"`);
    await db.query(`DROP TABLE "calendar_days"`);
    await db.query(`DROP TABLE "idempotency_keys"`);
    await db.query(`DROP INDEX "public"."application_events_application_idx"`);
    await db.query(`DROP TABLE "application_events"`);
    await db.query(`DROP INDEX "public"."application_rounds_application_round_key"`);
    await db.query(`DROP TABLE "application_rounds"`);
    await db.query(`DROP INDEX "public"."supplement_requests_application_round_key"`);
    await db.query(`DROP TABLE "supplement_requests"`);
    await db.query(`DROP INDEX "public"."application_materials_application_idx"`);
    await db.query(`DROP TABLE "application_materials"`);
    await db.query(`DROP INDEX "public"."applications_queue_idx"`);
    await db.query(`DROP INDEX "public"."applications_committee_status_idx"`);
    await db.query(`DROP INDEX "public"."applications_applicant_idx"`);
    await db.query(`DROP TABLE "applications"`);
  }
}
