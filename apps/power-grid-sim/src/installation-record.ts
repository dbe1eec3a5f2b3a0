import { createHash } from 'node:crypto';
import { z } from 'zod';

export const RECORD_TYPE = 'ev-charger-installation';

/** 1 to max characters (code points), not blank. */
const text = (max: number) =>
  z
    .string()
    .refine((value) => value.trim() !== '', 'must not be blank')
    .refine((value) => Array.from(value).length <= max, `must be at most ${max} characters`);

/**
 * A masked name (张*, 张*明, 欧**明): at least one '*' once the name has two characters or more, the way
 * @zhengming/pii maskName leaves it.
 */
const maskedName = text(64).refine(
  (value) => Array.from(value).length <= 1 || value.includes('*'),
  'must be masked (张*明)',
);

/** A masked phone (138****5678): digits and '*' only, at least one '*', no more than 7 digits shown. */
const maskedPhone = z
  .string()
  .regex(/^[0-9*]{1,20}$/, 'must be digits and * only')
  .refine((value) => value.includes('*') && value.replace(/\*/g, '').length <= 7, 'must be masked (138****5678)');

/** The body of POST /api/v1/installation-certificates. Unknown fields are refused. */
export const installationRecordSchema = z.strictObject({
  certificateNo: text(64),
  type: z.literal(RECORD_TYPE),
  typeName: text(100),
  issuedAt: z.iso.datetime({ offset: true }),
  installationAddress: text(500),
  applicantName: maskedName,
  applicantPhone: maskedPhone,
  documentSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  documentUrl: z.url({ protocol: /^https?$/ }).max(2048),
});

export type InstallationRecord = z.infer<typeof installationRecordSchema>;

export interface ValidationDetail {
  /** A body field (`documentUrl`), `(body)` for the body as a whole, or `header:<name>` for a header. */
  path: string;
  message: string;
}

export function detailsOf(error: z.ZodError, prefix = ''): ValidationDetail[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? prefix || '(body)' : `${prefix}${issue.path.join('.')}`,
    message: issue.message,
  }));
}

/**
 * The hash that tells a retry from a different record under the same idempotency key: SHA-256 of the
 * validated record with its keys sorted, so that key order and white space of the JSON do not matter but
 * every value does.
 */
export function recordHash(record: InstallationRecord): string {
  const sorted = Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
