import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

export const REPORT_REFRESH_OPTIONS = Symbol('REPORT_REFRESH_OPTIONS');

export interface ReportRefreshOptions {
  /** Run the refresh every `intervalMs` in this process (the worker, or the API without Redis). */
  periodic: boolean;
  intervalMs: number;
}

export interface RefreshOutcome {
  /** False when another process held the lock: its run covers what this one would have done. */
  ran: boolean;
  /** (day, committee) cells recounted. */
  cells: number;
}

/** Any process may refresh; one at a time does (transaction-scoped, so a crashed run frees it). */
const REFRESH_LOCK = 'reports:refresh';

/**
 * An instant in cell c's day: as a half-open range of instants, so that a refresh of a few cells walks
 * an index on (committee, time) per cell; for many cells also as an equality on the day, so that a
 * rebuild hash-joins the cells to one pass over the raw tables.
 */
const IN_DAY_RANGE = (column: string) =>
  `${column} >= report_day_start(c.day) AND ${column} < report_day_start(c.day + 1)`;
const IN_DAY_EQUAL = (column: string) => `report_day(${column}) = c.day AND ${IN_DAY_RANGE(column)}`;
/** Above this many cells a refresh is a rebuild: one pass over the raw tables beats an index probe per cell. */
const MANY_CELLS = 5_000;

/**
 * Recounts the statistics cells that triggers marked dirty, exactly, from the raw tables.
 *
 * The dirty rows taken are those the refresh's snapshot sees (REPEATABLE READ: one snapshot for the
 * whole run), and the recount reads the same snapshot; a change committed after it has left a dirty
 * row this run did not see, which the next run takes. So the roll-ups always converge on the raw
 * tables, with no window in which a change is lost.
 */
@Injectable()
export class ReportRefreshService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReportRefreshService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(REPORT_REFRESH_OPTIONS) private readonly options?: ReportRefreshOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options?.periodic) this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }

  /** Recounts every dirty cell now (tests, and the periodic job). */
  async refresh(): Promise<RefreshOutcome> {
    const run = this.dataSource.transaction('REPEATABLE READ', (m) => this.refreshIn(m));
    this.running = run.catch(() => undefined);
    return run;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      try {
        const outcome = await this.refresh();
        if (outcome.cells > 0) this.logger.debug({ cells: outcome.cells }, 'statistics refreshed');
      } catch (error) {
        this.logger.error({ err: error }, '统计数据刷新失败 (statistics refresh failed)');
      }
      this.schedule();
    }, this.options!.intervalMs);
    this.timer.unref();
  }

  private async refreshIn(m: EntityManager): Promise<RefreshOutcome> {
    const [{ locked }] = await m.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [REFRESH_LOCK]);
    if (!locked) return { ran: false, cells: 0 };
    await m.query(
      `CREATE TEMP TABLE report_cells (day date, committee_id uuid, PRIMARY KEY (day, committee_id)) ON COMMIT DROP`,
    );
    await m.query(`
      WITH taken AS (DELETE FROM report_dirty RETURNING day, committee_id)
      INSERT INTO report_cells SELECT DISTINCT day, committee_id FROM taken`);
    const [{ cells }] = await m.query(`SELECT count(*)::int AS cells FROM report_cells`);
    if (cells === 0) return { ran: true, cells: 0 };
    await m.query(`ANALYZE report_cells`);
    const IN_DAY = cells > MANY_CELLS ? IN_DAY_EQUAL : IN_DAY_RANGE;
    if (cells <= MANY_CELLS) {
      // PostgreSQL cannot estimate how few rows a range join to a handful of days matches, and would hash
      // the whole raw tables (measured: 190–350 ms per statement at 300,000 certificates, against 12–41 ms
      // probing the indexes per cell). For this transaction only.
      await m.query(`SET LOCAL enable_hashjoin = off`);
      await m.query(`SET LOCAL enable_mergejoin = off`);
    }

    await m.query(
      `DELETE FROM report_daily r USING report_cells c WHERE r.day = c.day AND r.committee_id = c.committee_id`,
    );
    await m.query(`
      INSERT INTO report_daily (day, committee_id, type_code, submitted, issued, seal_uses, rejected, revoked,
                                issued_within_limit, issued_with_supplement, supplement_rounds)
      SELECT day, committee_id, type_code, sum(submitted), sum(issued), sum(seal_uses), sum(rejected), sum(revoked),
             sum(within_limit), sum(with_supplement), sum(supplement_rounds)
        FROM (
          SELECT c.day, c.committee_id, a.type_code, count(*) AS submitted, 0 AS issued, 0 AS seal_uses,
                 0 AS rejected, 0 AS revoked, 0 AS within_limit, 0 AS with_supplement, 0 AS supplement_rounds
            FROM report_cells c
            JOIN applications a ON a.committee_id = c.committee_id AND a.submitted_at IS NOT NULL AND ${IN_DAY('a.submitted_at')}
           GROUP BY 1, 2, 3
          UNION ALL
          SELECT c.day, c.committee_id, a.type_code, 0, 0, 0, count(*), 0, 0, 0, 0
            FROM report_cells c
            JOIN applications a ON a.committee_id = c.committee_id AND a.status = 'rejected' AND ${IN_DAY('a.decided_at')}
           GROUP BY 1, 2, 3
          UNION ALL
          -- Within the promised time: the working days the clock ran until the decision, against the limit.
          -- Supplement rounds: every resubmission after a supplement request starts a round.
          SELECT c.day, c.committee_id, a.type_code, 0, count(*), 0, 0, 0,
                 count(*) FILTER (WHERE a.clock_used_working_days <= a.time_limit_working_days),
                 count(*) FILTER (WHERE a.round > 1),
                 sum(a.round - 1)
            FROM report_cells c
            JOIN certificates x ON x.committee_id = c.committee_id AND x.status <> 'pending' AND ${IN_DAY('x.issued_at')}
            JOIN applications a ON a.id = x.application_id
           GROUP BY 1, 2, 3
          UNION ALL
          SELECT c.day, c.committee_id, a.type_code, 0, 0, 0, 0, count(*), 0, 0, 0
            FROM report_cells c
            JOIN certificates x ON x.committee_id = c.committee_id AND x.status = 'revoked' AND ${IN_DAY('x.revoked_at')}
            JOIN applications a ON a.id = x.application_id
           GROUP BY 1, 2, 3
          UNION ALL
          SELECT c.day, c.committee_id, u.type_code, 0, 0, count(*), 0, 0, 0, 0, 0
            FROM report_cells c
            JOIN report_seal_uses u ON u.committee_id = c.committee_id AND ${IN_DAY('u.used_at')}
           GROUP BY 1, 2, 3
        ) counted
       GROUP BY 1, 2, 3`);

    await m.query(
      `DELETE FROM report_processing_daily r USING report_cells c WHERE r.day = c.day AND r.committee_id = c.committee_id`,
    );
    await m.query(`
      INSERT INTO report_processing_daily (day, committee_id, type_code, hours, count)
      SELECT c.day, c.committee_id, a.type_code, floor(extract(epoch FROM x.issued_at - a.submitted_at) / 3600)::int, count(*)
        FROM report_cells c
        JOIN certificates x ON x.committee_id = c.committee_id AND x.status <> 'pending' AND ${IN_DAY('x.issued_at')}
        JOIN applications a ON a.id = x.application_id
       GROUP BY 1, 2, 3, 4`);

    // The months of the cells, summed again from their days.
    await m.query(`
      CREATE TEMP TABLE report_month_cells ON COMMIT DROP AS
      SELECT DISTINCT date_trunc('month', day)::date AS month, committee_id FROM report_cells`);
    await m.query(`ANALYZE report_month_cells`);
    const IN_MONTH = `d.committee_id = mc.committee_id AND d.day >= mc.month AND d.day < (mc.month + interval '1 month')::date${
      cells > MANY_CELLS ? ` AND date_trunc('month', d.day)::date = mc.month` : ''
    }`;
    await m.query(
      `DELETE FROM report_monthly r USING report_month_cells mc WHERE r.month = mc.month AND r.committee_id = mc.committee_id`,
    );
    await m.query(`
      INSERT INTO report_monthly (month, committee_id, type_code, submitted, issued, seal_uses, rejected, revoked,
                                  issued_within_limit, issued_with_supplement, supplement_rounds)
      SELECT mc.month, mc.committee_id, d.type_code, sum(d.submitted), sum(d.issued), sum(d.seal_uses), sum(d.rejected),
             sum(d.revoked), sum(d.issued_within_limit), sum(d.issued_with_supplement), sum(d.supplement_rounds)
        FROM report_month_cells mc JOIN report_daily d ON ${IN_MONTH}
       GROUP BY 1, 2, 3`);
    // The district's histogram follows by difference: minus the month rows recounted, plus their new counts.
    await m.query(`
      WITH gone AS (
        DELETE FROM report_processing_monthly r USING report_month_cells mc
         WHERE r.month = mc.month AND r.committee_id = mc.committee_id
        RETURNING r.month, r.type_code, r.hours, r.count
      )
      INSERT INTO report_processing_district_monthly AS t (month, type_code, hours, count)
      SELECT month, type_code, hours, -sum(count) FROM gone GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (month, type_code, hours) DO UPDATE SET count = t.count + excluded.count`);
    await m.query(`
      WITH added AS (
        INSERT INTO report_processing_monthly (month, committee_id, type_code, hours, count)
        SELECT mc.month, mc.committee_id, d.type_code, d.hours, sum(d.count)
          FROM report_month_cells mc JOIN report_processing_daily d ON ${IN_MONTH}
         GROUP BY 1, 2, 3, 4
        RETURNING month, type_code, hours, count
      )
      INSERT INTO report_processing_district_monthly AS t (month, type_code, hours, count)
      SELECT month, type_code, hours, sum(count) FROM added GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (month, type_code, hours) DO UPDATE SET count = t.count + excluded.count`);
    await m.query(
      `DELETE FROM report_processing_district_monthly WHERE count = 0 AND month IN (SELECT month FROM report_month_cells)`,
    );
    return { ran: true, cells };
  }
}
