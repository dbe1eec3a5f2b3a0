import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { VerificationMethod, VerificationResult, VerifierSectorOrAnonymous } from './verification.entities';

export interface VerificationRecord {
  certificateId: string | null;
  institutionId: string | null;
  sector: VerifierSectorOrAnonymous;
  method: VerificationMethod;
  result: VerificationResult;
  checkedAt: Date;
}

/** Rows written per statement, and how long a row may wait for others to join it. */
const BATCH_ROWS = 500;
const FLUSH_DELAY_MS = 50;
/** While the database is unreachable rows wait in memory, up to this many; beyond it the oldest go. */
const MAX_PENDING = 100_000;

/**
 * Writes verifications in batches: at thousands of checks a second a commit per check would cost more
 * than the check. A row waits at most FLUSH_DELAY_MS; the API flushes on shutdown, and readers of
 * the log flush first so that a check is in the holder's log by the time anyone in this process reads it.
 */
@Injectable()
export class VerificationLog implements OnApplicationShutdown {
  private readonly logger = new Logger(VerificationLog.name);
  private pending: VerificationRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  record(row: VerificationRecord): void {
    this.pending.push(row);
    if (this.pending.length >= BATCH_ROWS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Writes everything recorded so far; resolves once it is committed (or has failed and been kept). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(() => (batch.length ? this.write(batch) : undefined));
    return this.writing;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private async write(batch: VerificationRecord[]): Promise<void> {
    let start = 0;
    try {
      for (; start < batch.length; start += BATCH_ROWS) {
        const rows = batch.slice(start, start + BATCH_ROWS);
        await this.dataSource.query(
          `INSERT INTO verifications (certificate_id, institution_id, sector, method, result, checked_at)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[], $6::timestamptz[])`,
          [
            rows.map((r) => r.certificateId),
            rows.map((r) => r.institutionId),
            rows.map((r) => r.sector),
            rows.map((r) => r.method),
            rows.map((r) => r.result),
            rows.map((r) => r.checkedAt.toISOString()),
          ],
        );
      }
    } catch (error) {
      this.logger.error({ err: error, rows: batch.length - start }, 'verification log write failed; will retry');
      this.pending = [...batch.slice(start), ...this.pending].slice(-MAX_PENDING);
      this.timer ??= setTimeout(() => void this.flush(), 1000);
    }
  }
}
