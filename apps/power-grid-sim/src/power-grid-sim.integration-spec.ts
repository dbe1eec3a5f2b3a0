import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '@zhengming/sim-kit';
import { startPowerGridSim, type PowerGridSimStats, type RunningPowerGridSim } from './power-grid-sim';
import type { PowerGridSimConfig } from './power-grid-sim.config';
import { shanghaiDate } from './record-store';
import { deliver, VALID_RECORD, type Delivery } from './testing/deliveries';

/** The simulator in this process, on a free port, with a file of its own in a fresh directory. */
const SECRET = 'integration-hmac-secret-0123456789';

describe('power-grid-sim', () => {
  let dir: string;
  let file: string;
  let sim: RunningPowerGridSim;
  let logs: LogEntry[];

  const configFor = (overrides: Partial<PowerGridSimConfig['faults']> = {}): PowerGridSimConfig => ({
    http: { port: 0, host: '127.0.0.1' },
    hmacSecret: SECRET,
    dataFile: file,
    faults: { errorRate: 0, latencyMs: 0, slowRate: 0, slowMs: 30_000, ...overrides },
  });
  const start = async (overrides: Partial<PowerGridSimConfig['faults']> = {}) => {
    sim = await startPowerGridSim(configFor(overrides), { log: (entry) => logs.push(entry) });
  };
  const send = (delivery: Delivery = {}) => deliver(sim.url, SECRET, delivery);
  const getJson = async <T = Record<string, unknown>>(path: string) =>
    (await (await fetch(`${sim.url}${path}`)).json()) as T;
  const stats = () => getJson<PowerGridSimStats>('/stats');
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const fileLines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'power-grid-sim-'));
    file = join(dir, 'records.jsonl');
    logs = [];
    await start();
  });

  afterEach(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a new signed record 201 with a receipt, and stores it with its delivery id', async () => {
    const key = randomUUID();
    const before = Date.now();

    const sut = await send({ key });

    expect(sut.status).toBe(201);
    expect(sut.body).toEqual({ receiptNo: expect.stringMatching(/^GD\d{8}000001$/), receivedAt: expect.any(String) });
    expect(String(sut.body.receiptNo).slice(2, 10)).toBe(shanghaiDate(Date.parse(String(sut.body.receivedAt))));
    expect(Date.parse(String(sut.body.receivedAt))).toBeGreaterThanOrEqual(before - 1);
    expect(await getJson('/records')).toEqual({
      items: [
        {
          ...VALID_RECORD,
          ...sut.body,
          idempotencyKey: key,
          bodySha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          signatureValid: true,
        },
      ],
    });
    expect(fileLines()).toHaveLength(1);
    expect(JSON.parse(fileLines()[0])).toMatchObject({ receiptNo: sut.body.receiptNo, idempotencyKey: key });
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'request', status: 201, outcome: 'created' }));
  });

  it('gives distinct receipts to distinct records, and filters the list by certificate number', async () => {
    const first = await send();
    const second = await send({ body: { ...VALID_RECORD, certificateNo: 'OTHER-1' } });

    expect(second.body.receiptNo).not.toBe(first.body.receiptNo);
    const other = await getJson<{ items: { receiptNo: string }[] }>('/records?certificateNo=OTHER-1');
    expect(other.items.map((item) => item.receiptNo)).toEqual([second.body.receiptNo]);
  });

  it('answers the same key with the same record 200 and the original receipt, however the JSON is laid out', async () => {
    const key = randomUUID();
    const original = await send({ key });
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(VALID_RECORD).reverse()), null, 2);
    const later = String(Math.floor(Date.now() / 1000) + 5);

    const sut = await send({ key: key.toUpperCase(), rawBody: reordered, timestamp: later });

    expect(sut.status).toBe(200);
    expect(sut.body).toEqual(original.body);
    expect(sut.headers.get('idempotent-replay')).toBe('true');
    expect(original.headers.get('idempotent-replay')).toBeNull();
    expect(await stats()).toMatchObject({ received: 2, unique: 1, duplicates: 1, rejected: 0 });
    expect(fileLines()).toHaveLength(1);
  });

  it('refuses the same key with another record 409, keeping the first', async () => {
    const key = randomUUID();
    const original = await send({ key });

    const sut = await send({ key, body: { ...VALID_RECORD, installationAddress: '另一个地址' } });

    expect(sut).toMatchObject({ status: 409, body: { error: 'idempotency_key_reused' } });
    expect(sut.headers.get('idempotent-replay')).toBeNull();
    const { items } = await getJson<{ items: Record<string, unknown>[] }>('/records');
    expect(items).toEqual([expect.objectContaining({ receiptNo: original.body.receiptNo, ...VALID_RECORD })]);
  });

  it.each<[string, Delivery]>([
    ['another secret', { secret: 'another-secret-0123456789' }],
    ['a tampered body', { signedBody: JSON.stringify({ ...VALID_RECORD, applicantName: '李*' }) }],
    ['a body re-serialised after signing', { signedBody: JSON.stringify(VALID_RECORD, null, 1) }],
    ['no signature', { signature: null }],
    ['a malformed signature', { signature: 'sha256=abc' }],
    ['a timestamp that is not digits', { timestamp: 'now' }],
  ])('refuses %s 401 bad_signature and stores nothing', async (_case, delivery) => {
    const sut = await send(delivery);

    expect(sut).toMatchObject({ status: 401, body: { error: 'bad_signature' } });
    expect(sim.store.size).toBe(0);
    expect(await stats()).toMatchObject({ received: 1, unique: 0, rejected: 1 });
  });

  it('refuses timestamps more than 300 s off 401 stale_timestamp, either way', async () => {
    const now = Math.floor(Date.now() / 1000);

    const past = await send({ timestamp: String(now - 301) });
    const future = await send({ timestamp: String(now + 310) });
    const edge = await send({ timestamp: String(now - 290) });

    expect(past).toMatchObject({ status: 401, body: { error: 'stale_timestamp' } });
    expect(future).toMatchObject({ status: 401, body: { error: 'stale_timestamp' } });
    expect(edge.status).toBe(201);
    expect(sim.store.size).toBe(1);
  });

  it('refuses invalid and unknown fields 400 invalid_record with the details', async () => {
    const sut = await send({
      body: { ...VALID_RECORD, documentSha256: 'xyz', applicantPhone: '13812345678', extra: 1 },
      key: null,
    });

    expect(sut.status).toBe(400);
    expect(sut.body.error).toBe('invalid_record');
    expect((sut.body.details as { path: string }[]).map((d) => d.path).sort()).toEqual([
      '(body)',
      'applicantPhone',
      'documentSha256',
      'header:idempotency-key',
    ]);
    expect(sim.store.size).toBe(0);
  });

  it('refuses bad JSON and a key that is not a UUID 400, another media type 415, too large a body 413', async () => {
    const badJson = await send({ rawBody: '{"certificateNo":' });
    const badKey = await send({ key: 'delivery-1' });
    const notJson = await send({ contentType: 'text/plain' });
    const tooLarge = await send({ body: { ...VALID_RECORD, installationAddress: 'x'.repeat(70 * 1024) } });

    expect(badJson).toMatchObject({ status: 400, body: { details: [{ path: '(body)', message: 'is not JSON' }] } });
    expect(badKey).toMatchObject({ status: 400, body: { details: [{ path: 'header:idempotency-key' }] } });
    expect(notJson).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
    expect(tooLarge).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    expect(await stats()).toMatchObject({ received: 4, unique: 0, rejected: 4 });
  });

  it('answers other paths 404 and other methods 405', async () => {
    expect((await fetch(`${sim.url}/api/v1/other`, { method: 'POST' })).status).toBe(404);
    const wrongMethod = await fetch(`${sim.url}/api/v1/installation-certificates`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await fetch(`${sim.url}/stats`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${sim.url}/healthz`)).status).toBe(200);
  });

  it('fails every request 503 at error rate 1 without storing, while its own endpoints still answer', async () => {
    expect((await call('PUT', '/control', { errorRate: 1 })).body).toEqual({
      errorRate: 1,
      latencyMs: 0,
      slowRate: 0,
      slowMs: 30_000,
      outageUntil: null,
    });

    const sut = await send();
    const unsigned = await send({ signature: null });

    expect(sut).toMatchObject({ status: 503, body: { error: 'unavailable' } });
    expect(unsigned.status).toBe(503);
    expect(sim.store.size).toBe(0);
    expect(await stats()).toMatchObject({ received: 0, failed: 2, unique: 0 });

    expect((await call('POST', '/control/reset')).body).toMatchObject({ errorRate: 0 });
    expect((await send()).status).toBe(201);
  });

  it('starts with the faults of its configuration and resets to them', async () => {
    await sim.close();
    await start({ errorRate: 1 });
    expect((await send()).status).toBe(503);
    await call('PUT', '/control', { errorRate: 0, latencyMs: 5 });
    expect((await send()).status).toBe(201);
    expect((await call('POST', '/control/reset')).body).toMatchObject({ errorRate: 1, latencyMs: 0 });
    expect((await send()).status).toBe(503);
  });

  it('refuses bad control bodies 400', async () => {
    expect(await call('PUT', '/control', { errorRate: 2 })).toMatchObject({ status: 400 });
    expect(await call('PUT', '/control', { errorrate: 1 })).toMatchObject({ status: 400 });
    expect(await call('POST', '/control/outage', { seconds: -1 })).toMatchObject({
      status: 400,
      body: { error: 'invalid_control' },
    });
    expect((await call('GET', '/control')).body).toMatchObject({ errorRate: 0 });
  });

  it('delays every business answer by the latency', async () => {
    await call('PUT', '/control', { latencyMs: 150 });
    const started = performance.now();

    expect((await send()).status).toBe(201);

    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('stores a slow record before answering, so that a retry after the client timed out gets the original receipt', async () => {
    await call('PUT', '/control', { slowRate: 1, slowMs: 2000 });
    const key = randomUUID();

    await expect(send({ key, signal: AbortSignal.timeout(200) })).rejects.toThrow();

    const { items } = await getJson<{ items: { receiptNo: string; receivedAt: string }[] }>('/records');
    expect(items).toHaveLength(1);
    await call('PUT', '/control', { slowRate: 0 });
    const retry = await send({ key });
    expect(retry).toMatchObject({
      status: 200,
      body: { receiptNo: items[0].receiptNo, receivedAt: items[0].receivedAt },
    });
    expect(await stats()).toMatchObject({ received: 2, unique: 1, duplicates: 1 });
  });

  it('answers a slow request after slowMs with its receipt', async () => {
    await call('PUT', '/control', { slowRate: 1, slowMs: 300 });
    const started = performance.now();

    const sut = await send();

    expect(sut.status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'request', status: 201, slow: true }));
  });

  it('resets business connections during an outage and takes records again after it', async () => {
    const outage = await call('POST', '/control/outage', { seconds: 0.6 });
    expect(outage.body.outageUntil).toEqual(expect.any(String));

    await expect(send()).rejects.toThrow('fetch failed');
    await expect(fetch(`${sim.url}/api/v1/anything`)).rejects.toThrow('fetch failed');
    expect((await fetch(`${sim.url}/healthz`)).status).toBe(200);
    expect(await stats()).toMatchObject({ refused: 2, received: 0, unique: 0 });

    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await call('GET', '/control')).body.outageUntil).toBeNull();
    expect((await send()).status).toBe(201);
  });

  it('ends an outage early on reset or with seconds 0', async () => {
    await call('POST', '/control/outage', { seconds: 60 });
    await call('POST', '/control/reset');
    expect((await send()).status).toBe(201);
    await call('POST', '/control/outage', { seconds: 60 });
    await call('POST', '/control/outage', { seconds: 0 });
    expect((await send()).status).toBe(201);
  });

  it('keeps receipts across a restart: the old key answers the original receipt, new ones go on numbering', async () => {
    const key = randomUUID();
    const original = await send({ key });
    await sim.close();

    await start();
    const replay = await send({ key });
    const next = await send();

    expect(replay).toMatchObject({ status: 200, body: original.body });
    expect(String(next.body.receiptNo).slice(-6)).toBe('000002');
    expect(await stats()).toMatchObject({ received: 2, unique: 2, duplicates: 1, loaded: 1 });
  });

  it('counts what it received', async () => {
    const key = randomUUID();
    await send({ key });
    await send({ key });
    await send({ key });
    await send({ key, body: { ...VALID_RECORD, typeName: '其他' } });
    await send({ secret: 'another-secret-0123456789' });
    await send({ body: {} });
    await send();

    expect(await stats()).toEqual({
      received: 7,
      unique: 2,
      duplicates: 2,
      rejected: 3,
      failed: 0,
      refused: 0,
      loaded: 0,
    });
  });

  it('creates exactly one record from 50 concurrent deliveries with one key', async () => {
    const key = randomUUID();

    const answers = await Promise.all(Array.from({ length: 50 }, () => send({ key })));

    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect(new Set(answers.map((a) => a.body.receiptNo)).size).toBe(1);
    expect(sim.store.size).toBe(1);
    expect(fileLines()).toHaveLength(1);
    expect(await stats()).toMatchObject({ received: 50, unique: 1, duplicates: 49 });
  });
});
