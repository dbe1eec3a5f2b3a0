import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { encodeDer, integer, octetString, oid, sequence, unsignedInteger } from '../../../libs/signing/src/cms/der';
import { derBoolean, PKI_FAILURE, TSP_OID } from '../../../libs/signing/src/timestamp/asn1';
import { buildTimeStampReq } from '../../../libs/signing/src/timestamp/timestamp-request';
import { parseTimeStampResp, readTimeStampToken } from '../../../libs/signing/src/timestamp/timestamp-response';
import type { LogEntry } from '@zhengming/sim-kit';
import { makeTsaTestPki, type TsaTestKeyAlgorithm, type TsaTestPki } from './testing/tsa-test-pki';
import { TsaKeyError } from './tsa-identity';
import { startTsaSim, type RunningTsaSim, type TsaSimStats } from './tsa-sim';
import { DEFAULT_POLICY, type TsaSimConfig } from './tsa-sim.config';

/** The simulator in this process, on a free port, its tokens checked by the OpenSSL CLI. */
const QUERY = 'application/timestamp-query';
const REPLY = 'application/timestamp-reply';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

describe.each<TsaTestKeyAlgorithm>(['ec-p256', 'rsa-2048'])('tsa-sim with an %s key', (algorithm) => {
  let pki: TsaTestPki;
  let sim: RunningTsaSim;
  let logs: LogEntry[];

  const configOf = (overrides: Partial<TsaSimConfig['files']> = {}): TsaSimConfig => ({
    http: { port: 0, host: '127.0.0.1' },
    files: { key: pki.files.tsaKey, certificate: pki.files.tsaCertificate, chain: pki.files.chain, ...overrides },
    policy: DEFAULT_POLICY,
  });
  const post = (body: Buffer, contentType = QUERY, path = '/') =>
    fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const stamp = async (data: Buffer, options: { certReq?: boolean; path?: string } = {}) => {
    const nonce = randomBytes(8);
    const query = buildTimeStampReq({ digest: sha256(data), nonce, certReq: options.certReq ?? true });
    const response = await post(query, QUERY, options.path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(REPLY);
    return { reply: Buffer.from(await response.arrayBuffer()), nonce, query };
  };
  const openssl = (...args: string[]) => spawnSync('openssl', args, { cwd: pki.dir, encoding: 'utf8' });
  const stats = async () => (await (await fetch(`${sim.url}/stats`)).json()) as TsaSimStats;

  beforeAll(async () => {
    pki = makeTsaTestPki(algorithm);
    logs = [];
    sim = await startTsaSim(configOf(), { log: (entry) => logs.push(entry) });
  });
  afterAll(async () => {
    await sim?.close();
    pki?.remove();
  });

  it('grants a token that openssl ts -verify accepts for the data, as a reply and as a token', async () => {
    const data = randomBytes(1000);
    const { reply } = await stamp(data);
    const response = parseTimeStampResp(reply);
    expect(response).toEqual({ status: 0, token: expect.any(Buffer) });

    const trust = ['-CAfile', pki.files.root, '-untrusted', pki.files.chain];
    const dataFile = pki.write('data.bin', data);
    const asReply = openssl('ts', '-verify', '-data', dataFile, '-in', pki.write('reply.tsr', reply), ...trust);
    expect(asReply.stdout).toContain('Verification: OK');
    const tokenFile = pki.write('token.der', response.token!);
    const asToken = openssl('ts', '-verify', '-data', dataFile, '-in', tokenFile, '-token_in', ...trust);
    expect(asToken.stdout).toContain('Verification: OK');
    const otherData = openssl(
      'ts',
      '-verify',
      '-data',
      pki.write('other.bin', randomBytes(8)),
      '-in',
      tokenFile,
      '-token_in',
      ...trust,
    );
    expect(otherData.stdout).not.toContain('Verification: OK');
    expect(otherData.status).not.toBe(0);
  });

  it('is verified by openssl against the root, with the issuing CA as untrusted', async () => {
    const data = randomBytes(64);
    const { reply } = await stamp(data, { certReq: false });
    const token = parseTimeStampResp(reply).token!;
    const result = openssl(
      'ts',
      '-verify',
      '-data',
      pki.write('data.bin', data),
      '-in',
      pki.write('token.der', token),
      '-token_in',
      '-CAfile',
      pki.files.root,
      '-untrusted',
      // certReq was FALSE: the token carries no certificate, so OpenSSL is given the TSA's too.
      pki.write('untrusted.pem', `${pki.issuingCa.toString()}${pki.tsaCertificate.toString()}`),
    );
    expect(result.stdout).toContain('Verification: OK');
    expect(readTimeStampToken(token).tsaCertificate).toBeUndefined();
  });

  it('puts every field in the TSTInfo as openssl ts -reply -text shows it', async () => {
    const data = Buffer.from('正明 · 电子证明');
    const before = Date.now();
    const { reply, nonce } = await stamp(data, { path: '/tsa' });
    const after = Date.now();
    const text = openssl('ts', '-reply', '-in', pki.write('reply.tsr', reply), '-text').stdout;
    const info = readTimeStampToken(parseTimeStampResp(reply).token!);

    expect(text).toContain('Status: Granted.');
    expect(text).toContain('Version: 1');
    expect(text).toContain(`Policy OID: ${DEFAULT_POLICY}`);
    expect(text).toContain('Hash Algorithm: sha256');
    // "Message data:" is a hex dump: 0000 - 3f a1 … The first bytes of the imprint are enough.
    expect(text).toContain(`0000 - ${sha256(data).subarray(0, 4).toString('hex').match(/../g)!.join(' ')}`);
    expect(text).toContain(`Serial number: 0x${info.serialHex.toUpperCase()}`);
    expect(text).toMatch(/Time stamp: \w{3} [ \d]\d \d\d:\d\d:\d\d(\.\d+)? \d{4} GMT/);
    expect(text).toContain('Accuracy: 0x01 seconds, unspecified millis, unspecified micros');
    expect(text).toContain('Ordering: no');
    expect(text).toContain(
      `Nonce: 0x${nonce
        .toString('hex')
        .replace(/^(00)+/, '')
        .toUpperCase()}`,
    );
    expect(text).toMatch(/TSA: DirName:.*C ?= ?CN/);

    expect(info.policy).toBe(DEFAULT_POLICY);
    expect(info.messageImprint).toEqual({ algorithm: TSP_OID.sha256, digest: sha256(data) });
    expect(info.genTime.getTime()).toBeGreaterThanOrEqual(before);
    expect(info.genTime.getTime()).toBeLessThanOrEqual(after);
    expect(info.tsaCertificate?.fingerprint256).toBe(pki.tsaCertificate.fingerprint256);
  });

  it('answers a query made by openssl ts -query (no nonce), which openssl ts -verify -queryfile accepts', async () => {
    const dataFile = pki.write('openssl-data.txt', randomBytes(300));
    const queryFile = `${pki.dir}/openssl.tsq`;
    expect(openssl('ts', '-query', '-data', dataFile, '-sha256', '-cert', '-no_nonce', '-out', queryFile).status).toBe(
      0,
    );
    const response = await post(readFileSync(queryFile));
    expect(response.status).toBe(200);
    const replyFile = pki.write('openssl.tsr', Buffer.from(await response.arrayBuffer()));

    const verified = openssl(
      'ts',
      '-verify',
      '-queryfile',
      queryFile,
      '-in',
      replyFile,
      '-CAfile',
      pki.files.root,
      '-untrusted',
      pki.files.chain,
    );
    expect(verified.stdout).toContain('Verification: OK');
    expect(openssl('ts', '-reply', '-in', replyFile, '-text').stdout).toContain('Nonce: unspecified');
  });

  it('gives every token its own serial number, one up from the last', async () => {
    const serials: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const { reply } = await stamp(randomBytes(16));
      serials.push(BigInt(`0x${readTimeStampToken(parseTimeStampResp(reply).token!).serialHex}`));
    }
    expect(serials[1]).toBe(serials[0] + 1n);
    expect(serials[2]).toBe(serials[1] + 1n);
  });

  it('refuses a seal certificate, or a certificate of another key, at start', async () => {
    await expect(
      startTsaSim(configOf({ key: pki.files.sealKey, certificate: pki.files.sealCertificate })),
    ).rejects.toThrow(/not a time-stamping certificate: it has no extendedKeyUsage/);
    await expect(startTsaSim(configOf({ certificate: pki.files.sealCertificate }))).rejects.toThrow(TsaKeyError);
    await expect(startTsaSim(configOf({ key: pki.files.root }))).rejects.toThrow(/not an unencrypted PEM private key/);
  });

  if (algorithm === 'rsa-2048') return;

  describe('bad queries', () => {
    const digest = sha256(Buffer.from('data'));
    const query = (parts: { version?: number; hash?: string; digest?: Buffer; extra?: ReturnType<typeof oid>[] }) =>
      encodeDer(
        sequence([
          integer(parts.version ?? 1),
          sequence([sequence([oid(parts.hash ?? TSP_OID.sha256)]), octetString(parts.digest ?? digest)]),
          ...(parts.extra ?? []),
        ]),
      );

    it.each([
      [
        'SHA-1',
        query({ hash: TSP_OID.sha1, digest: Buffer.alloc(20) }),
        PKI_FAILURE.badAlg,
        'unrecognized or unsupported algorithm identifier',
      ],
      [
        'an unknown hash',
        query({ hash: '1.2.3.4' }),
        PKI_FAILURE.badAlg,
        'unrecognized or unsupported algorithm identifier',
      ],
      ['version 2', query({ version: 2 }), PKI_FAILURE.badRequest, 'transaction not permitted or supported'],
      [
        'a short digest',
        query({ digest: Buffer.alloc(31) }),
        PKI_FAILURE.badDataFormat,
        'the data submitted has the wrong format',
      ],
      [
        'no TimeStampReq',
        encodeDer(sequence([integer(1)])),
        PKI_FAILURE.badDataFormat,
        'the data submitted has the wrong format',
      ],
      [
        'another policy',
        query({ extra: [oid('1.2.3.4.5')] }),
        PKI_FAILURE.unacceptedPolicy,
        'the requested TSA policy is not supported',
      ],
      [
        'trailing garbage after certReq',
        query({ extra: [unsignedInteger(Buffer.of(1)), derBoolean(true), integer(7)] }),
        PKI_FAILURE.badDataFormat,
        'the data submitted has the wrong format',
      ],
    ])('answers %s with a rejection TimeStampResp, HTTP 200', async (_name, body, failInfo, opensslText) => {
      const before = await stats();
      const response = await post(body);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(REPLY);
      const reply = Buffer.from(await response.arrayBuffer());
      expect(parseTimeStampResp(reply)).toEqual({ status: 2, statusText: expect.any(String), failInfo });
      const text = openssl('ts', '-reply', '-in', pki.write('rejection.tsr', reply), '-text').stdout;
      expect(text).toContain('Status: Rejected.');
      expect(text).toContain(opensslText);
      expect((await stats()).rejected).toBe(before.rejected + 1);
    });

    it('answers a body that is not DER with HTTP 400, and another content type with 415', async () => {
      const notDer = await post(Buffer.from('hello, TSA'));
      expect(notDer.status).toBe(400);
      expect(await notDer.json()).toEqual({ error: 'not_der' });
      const json = await post(query({}), 'application/json');
      expect(json.status).toBe(415);
      expect(await json.json()).toEqual({ error: 'unsupported_media_type' });
      const get = await fetch(`${sim.url}/`);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
      expect((await fetch(`${sim.url}/elsewhere`, { method: 'POST' })).status).toBe(404);
    });

    it('refuses a query past 64 KiB with 413', async () => {
      expect((await post(Buffer.alloc(64 * 1024 + 1))).status).toBe(413);
    });
  });

  describe('own endpoints', () => {
    it('answers /healthz and counts in /stats', async () => {
      expect(await (await fetch(`${sim.url}/healthz`)).json()).toEqual({ status: 'ok' });
      const before = await stats();
      await stamp(randomBytes(8));
      expect(await stats()).toEqual({ ...before, issued: before.issued + 1 });
    });

    it('resets connections during an outage, and answers again after it', async () => {
      const set = await fetch(`${sim.url}/control/outage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seconds: 60 }),
      });
      expect(((await set.json()) as { outageUntil: string | null }).outageUntil).not.toBeNull();
      const before = await stats();
      await expect(
        post(buildTimeStampReq({ digest: Buffer.alloc(32), nonce: Buffer.of(1), certReq: true })),
      ).rejects.toThrow('fetch failed');
      expect((await stats()).refused).toBe(before.refused + 1);
      expect(await (await fetch(`${sim.url}/healthz`)).json()).toEqual({ status: 'ok' });

      await fetch(`${sim.url}/control/outage`, { method: 'POST', body: JSON.stringify({ seconds: 0 }) });
      await stamp(randomBytes(8));
    });

    it('delays answers by the latency set, until reset', async () => {
      const put = await fetch(`${sim.url}/control`, { method: 'PUT', body: JSON.stringify({ latencyMs: 300 }) });
      expect(await put.json()).toEqual({ latencyMs: 300, outageUntil: null });
      const started = Date.now();
      await stamp(randomBytes(8));
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      await fetch(`${sim.url}/control/reset`, { method: 'POST' });
      expect(await (await fetch(`${sim.url}/control`)).json()).toEqual({ latencyMs: 0, outageUntil: null });
      const bad = await fetch(`${sim.url}/control`, { method: 'PUT', body: JSON.stringify({ latencyMs: -1 }) });
      expect(bad.status).toBe(400);
    });

    it('logs one JSON line per request, without the imprint or nonce', async () => {
      logs.length = 0;
      await stamp(randomBytes(8));
      const line = logs.find((entry) => entry.msg === 'request');
      expect(line).toMatchObject({ level: 'info', method: 'POST', path: '/', status: 200, outcome: 'granted' });
      expect(line).toHaveProperty('serial', expect.stringMatching(/^[0-9a-f]+$/));
      expect(Object.keys(line!).sort()).toEqual([
        'certReq',
        'level',
        'method',
        'ms',
        'msg',
        'outcome',
        'path',
        'serial',
        'status',
      ]);
    });
  });
});
