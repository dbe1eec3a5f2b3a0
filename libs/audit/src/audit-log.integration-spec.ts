import { SystemClock } from '@zhengming/clock';
import { AuditLog } from './audit-log.service';
import { openMigratedDataSource } from '../../../test/support/test-database';

describe('audit log on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof openMigratedDataSource>>;
  let sut: AuditLog;

  beforeAll(async () => {
    db = await openMigratedDataSource('audit');
    sut = new AuditLog(db.dataSource, new SystemClock());
  });
  afterAll(() => db.close());

  it('chains appends made concurrently from many connections into one gapless sequence', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sut.append({ actor: { type: 'system' }, action: 'test.append', details: { i, note: '并发写入' } }),
      ),
    );
    const result = await sut.verify(7);
    expect(result).toMatchObject({ ok: true, checked: 40, head: { seq: '40' } });
  });

  it('rolls the event back with the transaction that wrote it', async () => {
    await expect(
      db.dataSource.transaction(async (manager) => {
        await sut.append({ actor: { type: 'system' }, action: 'test.rolled-back' }, manager);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await sut.find({ action: 'test.rolled-back', limit: 10 })).toEqual([]);
    expect(await sut.verify()).toMatchObject({ ok: true, checked: 40 });
  });

  it('chains several appends per transaction while other transactions append alongside', async () => {
    // Each transaction appends three events, one by one or two in one insert (the issuer records a
    // batch so); later ones follow the first without asking for the head again, and still nobody
    // else's event lands between.
    await Promise.all(
      Array.from({ length: 8 }, (_, t) =>
        db.dataSource.transaction(async (manager) => {
          const entry = (i: number) => ({
            actor: { type: 'system' as const },
            action: 'test.batch',
            details: { t, i },
          });
          if (t % 2 === 0) {
            for (let i = 0; i < 3; i++) await sut.append(entry(i), manager);
          } else {
            await sut.appendAll([entry(0), entry(1)], manager);
            await sut.append(entry(2), manager);
          }
        }),
      ),
    );
    const events = await sut.find({ action: 'test.batch', limit: 100 });
    const byTransaction = new Map<number, number[]>();
    for (const event of events) {
      const { t } = event.details as { t: number };
      byTransaction.set(t, [...(byTransaction.get(t) ?? []), Number(event.seq)]);
    }
    for (const seqs of byTransaction.values()) {
      const sorted = seqs.sort((a, b) => a - b);
      expect(sorted[2] - sorted[0]).toBe(2);
    }
    expect(await sut.verify()).toMatchObject({ ok: true, checked: 64 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE from the application', async () => {
    await expect(db.dataSource.query(`UPDATE audit_events SET action = 'x' WHERE seq = 1`)).rejects.toThrow(
      /append-only: UPDATE refused/,
    );
    await expect(db.dataSource.query(`DELETE FROM audit_events WHERE seq = 2`)).rejects.toThrow(
      /append-only: DELETE refused/,
    );
    await expect(db.dataSource.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect(await sut.verify()).toMatchObject({ ok: true, checked: 64 });
  });

  it('finds events by action and object, newest first, a page at a time', async () => {
    await sut.append({ actor: { type: 'system' }, action: 'test.object', object: { type: 'thing', id: 'a' } });
    await sut.append({ actor: { type: 'system' }, action: 'test.object', object: { type: 'thing', id: 'b' } });
    const page = await sut.find({ objectType: 'thing', limit: 1 });
    expect(page.map((e) => e.objectId)).toEqual(['b']);
    const next = await sut.find({ objectType: 'thing', limit: 5, before: page[0].seq });
    expect(next.map((e) => e.objectId)).toEqual(['a']);
  });

  it('reports the first broken link when someone able to bypass the trigger edits a row', async () => {
    // A superuser can switch triggers off for the session; that is the attack the hash chain catches.
    await db.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL session_replication_role = replica`);
      await manager.query(`UPDATE audit_events SET details = '{"i": 999}' WHERE seq = 17`);
    });
    expect(await sut.verify(5)).toMatchObject({ ok: false, seq: '17', reason: 'hash-mismatch', checked: 16 });
  });
});
