import { appendFileSync, closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { installationRecordSchema, type InstallationRecord } from './installation-record';

/** One record as the company's system keeps it: the delivery's record and what the system added. */
export interface StoredRecord {
  receiptNo: string;
  idempotencyKey: string;
  /** recordHash of the record: the same key with another hash is a reused key. */
  bodySha256: string;
  receivedAt: string;
  record: InstallationRecord;
}

export const RECEIPT_NO = /^GD(\d{8})(\d{6})$/;
const MAX_SEQUENCE = 999_999;
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

const storedRecordSchema = z.strictObject({
  receiptNo: z.string().regex(RECEIPT_NO),
  idempotencyKey: z.string().min(1),
  bodySha256: z.string().regex(/^[0-9a-f]{64}$/),
  receivedAt: z.iso.datetime(),
  record: installationRecordSchema,
});

/** The record file cannot be read: a line other than a torn last one is not a record. */
export class RecordFileError extends Error {
  constructor(file: string, detail: string) {
    super(`power-grid-sim record file ${file}: ${detail}`);
    this.name = 'RecordFileError';
  }
}

/** yyyymmdd in Asia/Shanghai (UTC+8 all year, no daylight saving). */
export function shanghaiDate(ms: number): string {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10).replace(/-/g, '');
}

/**
 * The company system's store: records by idempotency key, each appended to a JSON-lines file as one line
 * before it counts as stored, and read back at start so that a restart keeps the receipts (and therefore
 * the duplicate suppression). Receipt numbers are GD + the Shanghai date + a 6-digit sequence that starts
 * again at 000001 each day. Every method is synchronous: a caller that checks `get` and then calls `create`
 * in the same tick cannot race another request.
 */
export class RecordStore {
  private readonly byKey = new Map<string, StoredRecord>();
  /** Last sequence used per yyyymmdd. */
  private readonly sequences = new Map<string, number>();
  /** How many records were read from the file at start. */
  readonly loaded: number;

  private constructor(
    /** Null: memory only. */
    readonly file: string | null,
    records: StoredRecord[],
  ) {
    for (const record of records) this.remember(record);
    this.loaded = records.length;
  }

  static inMemory(): RecordStore {
    return new RecordStore(null, []);
  }

  /**
   * Reads the file (made, with its directory, when missing). A last line without its newline that is not
   * a record is what a crash mid-write leaves: it is cut off the file. Anything else unreadable stops the
   * start rather than silently losing receipts.
   */
  static open(file: string | null): RecordStore {
    if (file === null) return RecordStore.inMemory();
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, 'a+');
    try {
      const content = readFileSync(fd);
      const records: StoredRecord[] = [];
      const keys = new Set<string>();
      const receipts = new Set<string>();
      let offset = 0;
      let lineNo = 0;
      while (offset < content.length) {
        const newline = content.indexOf(0x0a, offset);
        const end = newline === -1 ? content.length : newline;
        const line = content.subarray(offset, end).toString('utf8');
        lineNo += 1;
        const torn = newline === -1;
        if (line.trim() !== '') {
          const record = parseLine(line);
          if (record === undefined && torn) {
            // What a crash mid-write leaves: cut it off, so that the next record starts a line of its own.
            ftruncateSync(fd, offset);
            break;
          }
          if (record === undefined) throw new RecordFileError(file, `line ${lineNo} is not a record`);
          if (keys.has(record.idempotencyKey) || receipts.has(record.receiptNo)) {
            throw new RecordFileError(file, `line ${lineNo} repeats an idempotency key or receipt number`);
          }
          keys.add(record.idempotencyKey);
          receipts.add(record.receiptNo);
          records.push(record);
        }
        if (torn) {
          // A whole record that only lacks its newline (a hand edit): end the line before appending more.
          writeSync(fd, '\n');
          break;
        }
        offset = newline + 1;
      }
      return new RecordStore(file, records);
    } finally {
      closeSync(fd);
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  get(idempotencyKey: string): StoredRecord | undefined {
    return this.byKey.get(idempotencyKey);
  }

  /**
   * Gives the record its receipt, appends it to the file and only then to the index: a record the file did
   * not take is not stored. Throws when the key is already there.
   */
  create(input: Pick<StoredRecord, 'idempotencyKey' | 'bodySha256' | 'record'>, nowMs: number): StoredRecord {
    if (this.byKey.has(input.idempotencyKey)) throw new Error('idempotency key already stored');
    const day = shanghaiDate(nowMs);
    const sequence = (this.sequences.get(day) ?? 0) + 1;
    if (sequence > MAX_SEQUENCE) throw new Error(`no receipt numbers left for ${day}`);
    const stored: StoredRecord = {
      receiptNo: `GD${day}${String(sequence).padStart(6, '0')}`,
      idempotencyKey: input.idempotencyKey,
      bodySha256: input.bodySha256,
      receivedAt: new Date(nowMs).toISOString(),
      record: input.record,
    };
    if (this.file !== null) appendFileSync(this.file, `${JSON.stringify(stored)}\n`);
    this.remember(stored);
    return stored;
  }

  /** Every record in the order received, optionally only those of one certificate number. */
  list(filter: { certificateNo?: string } = {}): StoredRecord[] {
    const all = [...this.byKey.values()];
    return filter.certificateNo === undefined
      ? all
      : all.filter((stored) => stored.record.certificateNo === filter.certificateNo);
  }

  private remember(stored: StoredRecord): void {
    this.byKey.set(stored.idempotencyKey, stored);
    const [, day, sequence] = RECEIPT_NO.exec(stored.receiptNo) ?? [];
    if (day !== undefined) this.sequences.set(day, Math.max(this.sequences.get(day) ?? 0, Number(sequence)));
  }
}

/** A record, or undefined when the line is not one. */
function parseLine(line: string): StoredRecord | undefined {
  try {
    const parsed = storedRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
