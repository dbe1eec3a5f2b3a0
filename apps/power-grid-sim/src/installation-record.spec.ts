import { installationRecordSchema, recordHash, type InstallationRecord } from './installation-record';
import { VALID_RECORD } from './testing/deliveries';

function problems(patch: Record<string, unknown>): string[] {
  const parsed = installationRecordSchema.safeParse({ ...VALID_RECORD, ...patch });
  return parsed.success ? [] : [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || issue.code))];
}

describe('installationRecordSchema', () => {
  it('takes a complete record, with an http URL and a UTC time too', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ documentUrl: 'http://localhost:3000/d.pdf', issuedAt: '2026-11-26T02:00:00.000Z' })).toEqual([]);
  });

  it.each([
    ['certificateNo', ''],
    ['certificateNo', '   '],
    ['type', 'ev-charger'],
    ['typeName', 42],
    ['issuedAt', '2026-11-26'],
    ['issuedAt', 'yesterday'],
    ['installationAddress', 'x'.repeat(501)],
    ['applicantName', '张小明'],
    ['applicantPhone', '13812345678'],
    ['applicantPhone', '138-****-5678'],
    ['documentSha256', 'A'.repeat(64)],
    ['documentSha256', 'a'.repeat(63)],
    ['documentUrl', 'ftp://zm.example.test/d.pdf'],
    ['documentUrl', 'not a url'],
  ])('refuses %s = %j', (field, value) => {
    expect(problems({ [field]: value })).toEqual([field]);
  });

  it('refuses missing and unknown fields', () => {
    const { documentUrl: _omitted, ...missing } = VALID_RECORD;
    expect(installationRecordSchema.safeParse(missing).success).toBe(false);
    expect(problems({ applicantIdNumber: '4401**********1234' })).toEqual(['unrecognized_keys']);
  });

  it('takes a one-character name as masking leaves it, and all-star phones', () => {
    expect(problems({ applicantName: '张', applicantPhone: '*******' })).toEqual([]);
  });
});

describe(recordHash.name, () => {
  it('ignores the order of the keys but not any value', () => {
    const reversed = Object.fromEntries(Object.entries(VALID_RECORD).reverse()) as InstallationRecord;
    expect(recordHash(reversed)).toBe(recordHash(VALID_RECORD));
    expect(recordHash({ ...VALID_RECORD, installationAddress: `${VALID_RECORD.installationAddress} ` })).not.toBe(
      recordHash(VALID_RECORD),
    );
    expect(recordHash(VALID_RECORD)).toMatch(/^[0-9a-f]{64}$/);
  });
});
