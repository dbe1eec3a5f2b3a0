import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordHash } from './installation-record';
import { RecordFileError, RecordStore, shanghaiDate } from './record-store';
import { VALID_RECORD } from './testing/deliveries';

const NOV_26_NOON_SHANGHAI = Date.parse('2026-11-26T04:00:00Z');

function input(key: string) {
  return { idempotencyKey: key, bodySha256: recordHash(VALID_RECORD), record: VALID_RECORD };
}

describe(shanghaiDate.name, () => {
  it('turns the date at midnight in Shanghai, 16:00 UTC', () => {
    expect(shanghaiDate(Date.parse('2026-11-25T15:59:59.999Z'))).toBe('20261125');
    expect(shanghaiDate(Date.parse('2026-11-25T16:00:00Z'))).toBe('20261126');
  });
});

describe(RecordStore.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'power-grid-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('numbers receipts GD + Shanghai date + a sequence that starts again each day', () => {
    const sut = RecordStore.inMemory();
    expect(sut.create(input('k1'), NOV_26_NOON_SHANGHAI).receiptNo).toBe('GD20261126000001');
    expect(sut.create(input('k2'), NOV_26_NOON_SHANGHAI).receiptNo).toBe('GD20261126000002');
    expect(sut.create(input('k3'), Date.parse('2026-11-26T16:00:00Z')).receiptNo).toBe('GD20261127000001');
    expect(sut.get('k2')).toMatchObject({ receivedAt: '2026-11-26T04:00:00.000Z', record: VALID_RECORD });
    expect(sut.size).toBe(3);
    expect(() => sut.create(input('k1'), NOV_26_NOON_SHANGHAI)).toThrow('already stored');
  });

  it('lists in the order received, or one certificate only', () => {
    const sut = RecordStore.inMemory();
    sut.create(input('k1'), NOV_26_NOON_SHANGHAI);
    sut.create({ ...input('k2'), record: { ...VALID_RECORD, certificateNo: 'OTHER' } }, NOV_26_NOON_SHANGHAI);
    expect(sut.list().map((r) => r.idempotencyKey)).toEqual(['k1', 'k2']);
    expect(sut.list({ certificateNo: 'OTHER' }).map((r) => r.idempotencyKey)).toEqual(['k2']);
  });

  it('makes the file and its directory, writes one line per record and reads them back on open', () => {
    const file = join(dir, 'nested', 'records.jsonl');
    const first = RecordStore.open(file);
    expect(existsSync(file)).toBe(true);
    first.create(input('k1'), NOV_26_NOON_SHANGHAI);
    first.create(input('k2'), NOV_26_NOON_SHANGHAI);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);

    const sut = RecordStore.open(file);
    expect(sut.loaded).toBe(2);
    expect(sut.get('k1')).toEqual(first.get('k1'));
    // The sequence goes on from the file.
    expect(sut.create(input('k3'), NOV_26_NOON_SHANGHAI).receiptNo).toBe('GD20261126000003');
  });

  it('cuts off a torn last line and appends after the last whole record', () => {
    const file = join(dir, 'records.jsonl');
    RecordStore.open(file).create(input('k1'), NOV_26_NOON_SHANGHAI);
    appendFileSync(file, '{"receiptNo":"GD20261126000002","idempo');

    const sut = RecordStore.open(file);
    expect(sut.size).toBe(1);
    sut.create(input('k2'), NOV_26_NOON_SHANGHAI);
    expect(
      RecordStore.open(file)
        .list()
        .map((r) => r.receiptNo),
    ).toEqual(['GD20261126000001', 'GD20261126000002']);
  });

  it('keeps a whole last record that only lacks its newline', () => {
    const file = join(dir, 'records.jsonl');
    RecordStore.open(file).create(input('k1'), NOV_26_NOON_SHANGHAI);
    writeFileSync(file, readFileSync(file, 'utf8').trimEnd());
    RecordStore.open(file).create(input('k2'), NOV_26_NOON_SHANGHAI);
    expect(RecordStore.open(file).size).toBe(2);
  });

  it('refuses to start on a damaged line that is not the last, or on a repeated key', () => {
    const file = join(dir, 'records.jsonl');
    RecordStore.open(file).create(input('k1'), NOV_26_NOON_SHANGHAI);
    const line = readFileSync(file, 'utf8');
    writeFileSync(file, `not json\n${line}`);
    expect(() => RecordStore.open(file)).toThrow(RecordFileError);
    writeFileSync(file, `${line}${line}`);
    expect(() => RecordStore.open(file)).toThrow(/line 2 repeats/);
  });
});
