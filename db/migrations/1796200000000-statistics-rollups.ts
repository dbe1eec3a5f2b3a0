import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The statistics roll-ups (issue 9) and what keeps them: per day, committee and type counts, their
 * monthly sums, processing-time histograms and verification counts.
 *
 * - Verifications are append-only and logged in batches: a statement-level trigger adds each batch
 *   to the day and month counts (INSERT … ON CONFLICT DO UPDATE), exact at commit.
 * - Applications and certificates change state: row triggers note the (day, committee) cells a
 *   change touches in `report_dirty`, and the refresh (libs/reports, report-refresh.service.ts)
 *   recounts exactly those cells from the raw tables under an advisory lock.
 *
 * Days are calendar days in Asia/Shanghai (UTC+8 all year), as everywhere in the system.
 */
export class StatisticsRollups1796200000000 implements MigrationInterface {
  name = 'StatisticsRollups1796200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE TABLE "report_daily" ("submitted" integer NOT NULL DEFAULT '0', "issued" integer NOT NULL DEFAULT '0', "seal_uses" integer NOT NULL DEFAULT '0', "rejected" integer NOT NULL DEFAULT '0', "revoked" integer NOT NULL DEFAULT '0', "issued_within_limit" integer NOT NULL DEFAULT '0', "issued_with_supplement" integer NOT NULL DEFAULT '0', "supplement_rounds" integer NOT NULL DEFAULT '0', "day" date NOT NULL, "committee_id" uuid NOT NULL, "type_code" character varying(64) NOT NULL, CONSTRAINT "PK_068cbf585b1f86f4147261c7bec" PRIMARY KEY ("day", "committee_id", "type_code"))`,
    );
    await db.query(
      `CREATE TABLE "report_monthly" ("submitted" integer NOT NULL DEFAULT '0', "issued" integer NOT NULL DEFAULT '0', "seal_uses" integer NOT NULL DEFAULT '0', "rejected" integer NOT NULL DEFAULT '0', "revoked" integer NOT NULL DEFAULT '0', "issued_within_limit" integer NOT NULL DEFAULT '0', "issued_with_supplement" integer NOT NULL DEFAULT '0', "supplement_rounds" integer NOT NULL DEFAULT '0', "month" date NOT NULL, "committee_id" uuid NOT NULL, "type_code" character varying(64) NOT NULL, CONSTRAINT "PK_7470e45e5847b875bb2368c5644" PRIMARY KEY ("month", "committee_id", "type_code"))`,
    );
    await db.query(
      `CREATE TABLE "report_processing_daily" ("count" integer NOT NULL, "day" date NOT NULL, "committee_id" uuid NOT NULL, "type_code" character varying(64) NOT NULL, "hours" integer NOT NULL, CONSTRAINT "PK_5bbc640d57383d6cbef38e3e936" PRIMARY KEY ("day", "committee_id", "type_code", "hours"))`,
    );
    await db.query(
      `CREATE TABLE "report_processing_monthly" ("count" integer NOT NULL, "month" date NOT NULL, "committee_id" uuid NOT NULL, "type_code" character varying(64) NOT NULL, "hours" integer NOT NULL, CONSTRAINT "PK_b32b1bca5754f09d47cc46a449c" PRIMARY KEY ("month", "committee_id", "type_code", "hours"))`,
    );
    await db.query(
      `CREATE TABLE "report_verifications_daily" ("count" integer NOT NULL, "day" date NOT NULL, "committee_id" uuid NOT NULL, "type_code" character varying(64) NOT NULL, "sector" character varying(16) NOT NULL, CONSTRAINT "PK_27c0beb748c11e195e3e0aa6cb3" PRIMARY KEY ("day", "committee_id", "type_code", "sector"))`,
    );
    await db.query(
      `CREATE TABLE "report_verifications_monthly" ("count" integer NOT NULL, "month" date NOT NULL, "committee_id" uuid NOT NULL, "type_code" character varying(64) NOT NULL, "sector" character varying(16) NOT NULL, CONSTRAINT "PK_c507e0250c426bd863d6943de3d" PRIMARY KEY ("month", "committee_id", "type_code", "sector"))`,
    );
    await db.query(
      `CREATE TABLE "report_processing_district_monthly" ("month" date NOT NULL, "type_code" character varying(64) NOT NULL, "hours" integer NOT NULL, "count" integer NOT NULL, CONSTRAINT "PK_55c70e89c538322774cffb170ce" PRIMARY KEY ("month", "type_code", "hours"))`,
    );
    await db.query(
      `CREATE TABLE "report_verifications_district_monthly" ("month" date NOT NULL, "type_code" character varying(64) NOT NULL, "sector" character varying(16) NOT NULL, "count" integer NOT NULL, CONSTRAINT "PK_ca309caa9df3124715e119aaf38" PRIMARY KEY ("month", "type_code", "sector"))`,
    );
    await db.query(
      `CREATE TABLE "report_dirty" ("id" BIGSERIAL NOT NULL, "day" date NOT NULL, "committee_id" uuid NOT NULL, CONSTRAINT "PK_d200fe5d2efc105828e5d234783" PRIMARY KEY ("id"))`,
    );
    await db.query(`CREATE INDEX "report_daily_committee_day_idx" ON "report_daily" ("committee_id", "day") `);
    await db.query(
      `CREATE INDEX "report_processing_daily_committee_day_idx" ON "report_processing_daily" ("committee_id", "day") `,
    );
    await db.query(
      `CREATE INDEX "applications_committee_rejected_idx" ON "applications" ("committee_id", "decided_at") WHERE status = 'rejected'`,
    );
    await db.query(
      `CREATE INDEX "applications_committee_submitted_idx" ON "applications" ("committee_id", "submitted_at") WHERE submitted_at IS NOT NULL`,
    );
    await db.query(`CREATE INDEX "certificates_seal_signed_idx" ON "certificates" ("seal_id", "signed_at") `);
    await db.query(
      `CREATE INDEX "certificates_committee_revoked_idx" ON "certificates" ("committee_id", "revoked_at") WHERE "status" = 'revoked'`,
    );

    // The Asia/Shanghai calendar day of an instant, and the instant a day starts.
    await db.query(
      `CREATE FUNCTION report_day(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (t AT TIME ZONE 'Asia/Shanghai')::date $$`,
    );
    await db.query(
      `CREATE FUNCTION report_day_start(d date) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT d::timestamp AT TIME ZONE 'Asia/Shanghai' $$`,
    );
    // What counts as a use of a committee's seal, in one place: today a certificate it sealed (enterprise
    // seal uses will join here). Attributed to the seal's organization, at the time of the signature.
    await db.query(
      `CREATE VIEW report_seal_uses AS
         SELECT s.organization_id AS committee_id, a.type_code, c.signed_at AS used_at
           FROM certificates c
           JOIN seals s ON s.id = c.seal_id
           JOIN applications a ON a.id = c.application_id
          WHERE c.status <> 'pending' AND c.signed_at IS NOT NULL`,
    );

    // Applications: the days of submission and decision, before and after the change; and when an issued
    // application changes, its certificate's day (its figures read the application's clock and rounds).
    await db.query(`
      CREATE FUNCTION report_mark_application() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO report_dirty (day, committee_id)
          SELECT DISTINCT v.day, v.committee_id
            FROM (VALUES (report_day(NEW.submitted_at), NEW.committee_id),
                         (report_day(NEW.decided_at), NEW.committee_id)) v(day, committee_id)
           WHERE v.day IS NOT NULL;
        ELSE
          INSERT INTO report_dirty (day, committee_id)
          SELECT DISTINCT v.day, v.committee_id
            FROM (VALUES (report_day(NEW.submitted_at), NEW.committee_id),
                         (report_day(NEW.decided_at), NEW.committee_id),
                         (report_day(OLD.submitted_at), OLD.committee_id),
                         (report_day(OLD.decided_at), OLD.committee_id)) v(day, committee_id)
           WHERE v.day IS NOT NULL
          UNION
          SELECT report_day(x.issued_at), x.committee_id
            FROM certificates x
           WHERE x.application_id = NEW.id AND x.status <> 'pending';
        END IF;
        RETURN NULL;
      END $$`);
    await db.query(
      `CREATE TRIGGER report_dirty_application_insert AFTER INSERT ON "applications" FOR EACH ROW
         WHEN (NEW.submitted_at IS NOT NULL OR NEW.decided_at IS NOT NULL)
         EXECUTE FUNCTION report_mark_application()`,
    );
    await db.query(
      `CREATE TRIGGER report_dirty_application_update AFTER UPDATE ON "applications" FOR EACH ROW
         WHEN (OLD.status IS DISTINCT FROM NEW.status
            OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at
            OR OLD.decided_at IS DISTINCT FROM NEW.decided_at
            OR OLD.committee_id IS DISTINCT FROM NEW.committee_id
            OR OLD.type_code IS DISTINCT FROM NEW.type_code
            OR OLD.round IS DISTINCT FROM NEW.round
            OR OLD.time_limit_working_days IS DISTINCT FROM NEW.time_limit_working_days
            OR OLD.clock_used_working_days IS DISTINCT FROM NEW.clock_used_working_days)
         EXECUTE FUNCTION report_mark_application()`,
    );

    // Certificates: the days of issue, signature (for the seal's committee) and revocation, before and after.
    await db.query(`
      CREATE FUNCTION report_mark_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO report_dirty (day, committee_id)
        SELECT DISTINCT v.day, v.committee_id FROM (
          SELECT report_day(NEW.issued_at), NEW.committee_id WHERE NEW.status <> 'pending'
          UNION ALL SELECT report_day(NEW.revoked_at), NEW.committee_id
          UNION ALL SELECT report_day(NEW.signed_at), s.organization_id
                      FROM seals s WHERE s.id = NEW.seal_id AND NEW.status <> 'pending'
        ) v(day, committee_id)
        WHERE v.day IS NOT NULL;
        IF TG_OP = 'UPDATE' THEN
          INSERT INTO report_dirty (day, committee_id)
          SELECT DISTINCT v.day, v.committee_id FROM (
            SELECT report_day(OLD.issued_at), OLD.committee_id WHERE OLD.status <> 'pending'
            UNION ALL SELECT report_day(OLD.revoked_at), OLD.committee_id
            UNION ALL SELECT report_day(OLD.signed_at), s.organization_id
                        FROM seals s WHERE s.id = OLD.seal_id AND OLD.status <> 'pending'
          ) v(day, committee_id)
          WHERE v.day IS NOT NULL;
        END IF;
        RETURN NULL;
      END $$`);
    await db.query(
      `CREATE TRIGGER report_dirty_certificate_insert AFTER INSERT ON "certificates" FOR EACH ROW
         WHEN (NEW.status <> 'pending')
         EXECUTE FUNCTION report_mark_certificate()`,
    );
    await db.query(
      `CREATE TRIGGER report_dirty_certificate_update AFTER UPDATE ON "certificates" FOR EACH ROW
         WHEN (OLD.status IS DISTINCT FROM NEW.status
            OR OLD.issued_at IS DISTINCT FROM NEW.issued_at
            OR OLD.signed_at IS DISTINCT FROM NEW.signed_at
            OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
            OR OLD.seal_id IS DISTINCT FROM NEW.seal_id
            OR OLD.committee_id IS DISTINCT FROM NEW.committee_id
            OR OLD.application_id IS DISTINCT FROM NEW.application_id)
         EXECUTE FUNCTION report_mark_certificate()`,
    );

    // Verifications: each logged batch (one statement) added to the counts. Rows are upserted in key
    // order so that two batches committing at once cannot deadlock on the same counters.
    await db.query(`
      CREATE FUNCTION report_count_verifications() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        WITH counted AS (
          SELECT report_day(v.checked_at) AS day,
                 COALESCE(x.committee_id, '00000000-0000-0000-0000-000000000000'::uuid) AS committee_id,
                 COALESCE(a.type_code, '') AS type_code,
                 v.sector,
                 count(*)::int AS count
            FROM new_verifications v
            LEFT JOIN certificates x ON x.id = v.certificate_id
            LEFT JOIN applications a ON a.id = x.application_id
           GROUP BY 1, 2, 3, 4
        ), daily AS (
          INSERT INTO report_verifications_daily AS r (day, committee_id, type_code, sector, count)
          SELECT day, committee_id, type_code, sector, count FROM counted ORDER BY 1, 2, 3, 4
          ON CONFLICT (day, committee_id, type_code, sector) DO UPDATE SET count = r.count + excluded.count
        ), monthly AS (
          INSERT INTO report_verifications_monthly AS r (month, committee_id, type_code, sector, count)
          SELECT date_trunc('month', day)::date, committee_id, type_code, sector, sum(count)::int
            FROM counted GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
          ON CONFLICT (month, committee_id, type_code, sector) DO UPDATE SET count = r.count + excluded.count
        )
        INSERT INTO report_verifications_district_monthly AS r (month, type_code, sector, count)
        SELECT date_trunc('month', day)::date, type_code, sector, sum(count)::int
          FROM counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (month, type_code, sector) DO UPDATE SET count = r.count + excluded.count;
        RETURN NULL;
      END $$`);
    await db.query(
      `CREATE TRIGGER report_count_verifications AFTER INSERT ON "verifications"
         REFERENCING NEW TABLE AS new_verifications
         FOR EACH STATEMENT EXECUTE FUNCTION report_count_verifications()`,
    );

    // What is already there: verifications counted now, every other cell left for the first refresh.
    await db.query(`
      INSERT INTO report_verifications_daily (day, committee_id, type_code, sector, count)
      SELECT report_day(v.checked_at),
             COALESCE(x.committee_id, '00000000-0000-0000-0000-000000000000'::uuid),
             COALESCE(a.type_code, ''), v.sector, count(*)
        FROM verifications v
        LEFT JOIN certificates x ON x.id = v.certificate_id
        LEFT JOIN applications a ON a.id = x.application_id
       GROUP BY 1, 2, 3, 4`);
    await db.query(`
      INSERT INTO report_verifications_monthly (month, committee_id, type_code, sector, count)
      SELECT date_trunc('month', day)::date, committee_id, type_code, sector, sum(count)
        FROM report_verifications_daily GROUP BY 1, 2, 3, 4`);
    await db.query(`
      INSERT INTO report_verifications_district_monthly (month, type_code, sector, count)
      SELECT month, type_code, sector, sum(count) FROM report_verifications_monthly GROUP BY 1, 2, 3`);
    await db.query(`
      INSERT INTO report_dirty (day, committee_id)
      SELECT report_day(submitted_at), committee_id FROM applications WHERE submitted_at IS NOT NULL
      UNION SELECT report_day(decided_at), committee_id FROM applications WHERE decided_at IS NOT NULL
      UNION SELECT report_day(issued_at), committee_id FROM certificates WHERE status <> 'pending'
      UNION SELECT report_day(used_at), committee_id FROM report_seal_uses
      UNION SELECT report_day(revoked_at), committee_id FROM certificates WHERE revoked_at IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER report_count_verifications ON "verifications"`);
    await db.query(`DROP TRIGGER report_dirty_certificate_update ON "certificates"`);
    await db.query(`DROP TRIGGER report_dirty_certificate_insert ON "certificates"`);
    await db.query(`DROP TRIGGER report_dirty_application_update ON "applications"`);
    await db.query(`DROP TRIGGER report_dirty_application_insert ON "applications"`);
    await db.query(`DROP FUNCTION report_count_verifications()`);
    await db.query(`DROP FUNCTION report_mark_certificate()`);
    await db.query(`DROP FUNCTION report_mark_application()`);
    await db.query(`DROP VIEW report_seal_uses`);
    await db.query(`DROP FUNCTION report_day_start(date)`);
    await db.query(`DROP FUNCTION report_day(timestamptz)`);
    await db.query(`DROP INDEX "public"."certificates_committee_revoked_idx"`);
    await db.query(`DROP INDEX "public"."certificates_seal_signed_idx"`);
    await db.query(`DROP INDEX "public"."applications_committee_submitted_idx"`);
    await db.query(`DROP INDEX "public"."applications_committee_rejected_idx"`);
    await db.query(`DROP INDEX "public"."report_processing_daily_committee_day_idx"`);
    await db.query(`DROP INDEX "public"."report_daily_committee_day_idx"`);
    await db.query(`DROP TABLE "report_dirty"`);
    await db.query(`DROP TABLE "report_verifications_district_monthly"`);
    await db.query(`DROP TABLE "report_processing_district_monthly"`);
    await db.query(`DROP TABLE "report_verifications_monthly"`);
    await db.query(`DROP TABLE "report_verifications_daily"`);
    await db.query(`DROP TABLE "report_processing_monthly"`);
    await db.query(`DROP TABLE "report_processing_daily"`);
    await db.query(`DROP TABLE "report_monthly"`);
    await db.query(`DROP TABLE "report_daily"`);
  }
}
