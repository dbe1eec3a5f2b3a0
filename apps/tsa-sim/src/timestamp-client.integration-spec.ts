import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  children,
  encodeDer,
  integer,
  octetString,
  oid,
  parseDer,
  sequence,
  unsignedInteger,
} from '../../../libs/signing/src/cms/der';
import { TimestampFormatError, TSP_OID } from '../../../libs/signing/src/timestamp/asn1';
import { TimestampClient, TimestampError } from '../../../libs/signing/src/timestamp/timestamp-client';
import { buildTimeStampReq } from '../../../libs/signing/src/timestamp/timestamp-request';
import { parseTimeStampResp, readTimeStampToken } from '../../../libs/signing/src/timestamp/timestamp-response';
import {
  TimestampVerificationError,
  verifyTimeStampToken,
  type TimestampVerificationProblem,
} from '../../../libs/signing/src/timestamp/timestamp-verify';
import { makeTsaTestPki, type TsaTestKeyAlgorithm, type TsaTestPki } from './testing/tsa-test-pki';
import { readTimeStampQuery } from './time-stamp-query';
import { grantedResponse } from './time-stamp-token';
import { startTsaSim, type RunningTsaSim } from './tsa-sim';
import { DEFAULT_POLICY, type TsaSimConfig } from './tsa-sim.config';

/** Our RFC 3161 client and verifier against the simulator, against OpenSSL as a TSA, and checked by OpenSSL. */
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

async function timestampErrorOf(promise: Promise<unknown>): Promise<TimestampError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TimestampError) return error;
    throw error;
  }
  throw new Error('expected a TimestampError');
}

function problemOf(check: () => unknown): TimestampVerificationProblem {
  try {
    check();
  } catch (error) {
    if (error instanceof TimestampVerificationError) return error.problem;
    throw error;
  }
  throw new Error('expected a TimestampVerificationError');
}

describe.each<TsaTestKeyAlgorithm>(['ec-p256', 'rsa-2048'])('TimestampClient and tsa-sim, %s', (algorithm) => {
  let pki: TsaTestPki;
  let sim: RunningTsaSim;
  let client: TimestampClient;
  const data = randomBytes(2048);
  let token: Buffer;

  const config = (): TsaSimConfig => ({
    http: { port: 0, host: '127.0.0.1' },
    files: { key: pki.files.tsaKey, certificate: pki.files.tsaCertificate, chain: pki.files.chain },
    policy: DEFAULT_POLICY,
  });
  const opensslVerify = (tokenBytes: Buffer, dataBytes: Buffer = data) =>
    spawnSync(
      'openssl',
      [
        'ts',
        '-verify',
        '-data',
        pki.write('data.bin', dataBytes),
        '-in',
        pki.write('token.der', tokenBytes),
        '-token_in',
        '-CAfile',
        pki.files.root,
        '-untrusted',
        pki.files.chain,
      ],
      { encoding: 'utf8' },
    );
  const control = (path: string, body: unknown, method = 'POST') =>
    fetch(`${sim.url}${path}`, { method, body: JSON.stringify(body) });

  beforeAll(async () => {
    pki = makeTsaTestPki(algorithm);
    sim = await startTsaSim(config(), { log: () => undefined });
    client = new TimestampClient({ url: `${sim.url}/tsa`, timeoutMs: 5_000 });
    const before = Date.now();
    const stamped = await client.stamp(data);
    token = stamped.token;
    expect(stamped.genTime.getTime()).toBeGreaterThanOrEqual(before);
    expect(stamped.genTime.getTime()).toBeLessThanOrEqual(Date.now());
  });
  afterAll(async () => {
    await sim?.close();
    pki?.remove();
  });

  describe('a token stamped through the client', () => {
    it('is verified by openssl ts -verify for the data, up to the root', () => {
      expect(opensslVerify(token).stdout).toContain('Verification: OK');
    });

    it('is verified by verifyTimeStampToken, which returns what it says', () => {
      const info = verifyTimeStampToken(token, data, pki.root);
      expect(info).toEqual({
        genTime: readTimeStampToken(token).genTime,
        serialHex: expect.stringMatching(/^[0-9a-f]+$/),
        policy: DEFAULT_POLICY,
        messageImprint: { algorithm: TSP_OID.sha256, digest: sha256(data) },
        nonce: expect.any(Buffer),
        accuracy: { seconds: 1, millis: 0, micros: 0 },
        tsaCertificate: expect.anything(),
      });
      expect(info.tsaCertificate?.fingerprint256).toBe(pki.tsaCertificate.fingerprint256);
    });

    it('is refused for other data, and under another root', () => {
      expect(problemOf(() => verifyTimeStampToken(token, Buffer.concat([data, Buffer.of(0)]), pki.root))).toBe(
        'imprint_mismatch',
      );
      expect(problemOf(() => verifyTimeStampToken(token, data, pki.otherRoot))).toBe('untrusted');
    });
  });

  describe('a tampered token', () => {
    it('with a byte of the signature flipped fails openssl and verifyTimeStampToken', () => {
      // The SignerInfo is the last element of the SignedData, and the signature its last.
      const tampered = Buffer.from(token);
      tampered[tampered.length - 2] ^= 0x01;
      expect(readTimeStampToken(tampered).serialHex).toBe(readTimeStampToken(token).serialHex);
      expect(opensslVerify(tampered).stdout).not.toContain('Verification: OK');
      expect(problemOf(() => verifyTimeStampToken(tampered, data, pki.root))).toBe('signature_invalid');
    });

    it('with genTime moved by a year fails openssl and verifyTimeStampToken', () => {
      const genTime = readTimeStampToken(token).genTime;
      // YYYYMMDDhhmmss: found once, in the TSTInfo.
      const at = token.indexOf(Buffer.from(genTime.toISOString().slice(0, 19).replace(/[-T:]/g, ''), 'latin1'));
      expect(at).toBeGreaterThan(0);
      const tampered = Buffer.from(token);
      // 2026 → 2027: still a valid GeneralizedTime, so only the signature can tell.
      tampered[at + 3] += tampered[at + 3] === 0x39 ? -1 : 1;
      expect(readTimeStampToken(tampered).genTime.getUTCFullYear()).not.toBe(genTime.getUTCFullYear());
      expect(opensslVerify(tampered).stdout).not.toContain('Verification: OK');
      expect(problemOf(() => verifyTimeStampToken(tampered, data, pki.root))).toBe('message_digest_mismatch');
    });

    it('with genTime no longer a time is refused by readTimeStampToken', () => {
      const year = Buffer.from(readTimeStampToken(token).genTime.toISOString().slice(0, 4), 'latin1');
      const tampered = Buffer.from(token);
      tampered[tampered.indexOf(year)] = 0x41; // 'A'
      expect(() => readTimeStampToken(tampered)).toThrow(TimestampFormatError);
      expect(problemOf(() => verifyTimeStampToken(tampered, data, pki.root))).toBe('malformed');
    });
  });

  describe('tokens the client cannot check alone', () => {
    it('verifies a token without certificates with the TSA certificate given, and not without it', async () => {
      const response = await fetch(sim.url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: encodeDer(sequence([integer(1), sequence([sequence([oid(TSP_OID.sha256)]), octetString(sha256(data))])])),
      });
      const bare = parseTimeStampResp(Buffer.from(await response.arrayBuffer())).token!;
      expect(problemOf(() => verifyTimeStampToken(bare, data, pki.root))).toBe('signer_certificate_missing');
      expect(
        verifyTimeStampToken(bare, data, pki.root, {
          tsaCertificate: pki.tsaCertificate,
          intermediates: [pki.issuingCa],
        }).tsaCertificate?.fingerprint256,
      ).toBe(pki.tsaCertificate.fingerprint256);
      expect(problemOf(() => verifyTimeStampToken(bare, data, pki.root, { tsaCertificate: pki.tsaCertificate }))).toBe(
        'untrusted',
      );
    });

    it('refuses a token signed with a certificate that is not for time-stamping', () => {
      const verdict = readTimeStampQuery(
        encodeDer(
          sequence([
            integer(1),
            sequence([sequence([oid(TSP_OID.sha256)]), octetString(sha256(data))]),
            unsignedInteger(Buffer.of(7)),
          ]),
        ),
        DEFAULT_POLICY,
      );
      if (verdict.kind !== 'query') throw new Error('expected a query');
      const x509 = new X509Certificate(readFileSync(pki.files.sealCertificate));
      const sealToken = parseTimeStampResp(
        grantedResponse(
          {
            key: createPrivateKey(readFileSync(pki.files.sealKey)),
            algorithm: algorithm === 'ec-p256' ? 'ec-p256' : 'rsa',
            certificate: x509.raw,
            x509,
            chain: [pki.issuingCa.raw],
          },
          { query: { ...verdict.query, certReq: true }, policy: DEFAULT_POLICY, serialNumber: 1n, genTime: new Date() },
        ),
      ).token!;
      expect(opensslVerify(sealToken).stdout).not.toContain('Verification: OK');
      expect(problemOf(() => verifyTimeStampToken(sealToken, data, pki.root))).toBe('not_a_tsa_certificate');
    });
  });

  describe('against OpenSSL as the TSA', () => {
    /** A fetch that answers with `openssl ts -reply`: a TSA implementation that is not ours. */
    const opensslTsa: typeof fetch = async (_url, init) => {
      const queryFile = pki.write('client.tsq', Buffer.from(init!.body as Uint8Array));
      writeFileSync(join(pki.dir, 'tsaserial'), '0A\n');
      pki.write(
        'ts.cnf',
        [
          '[tsa]',
          'default_tsa = tsa1',
          '[tsa1]',
          `serial = ${join(pki.dir, 'tsaserial')}`,
          `signer_cert = ${pki.files.tsaCertificate}`,
          `certs = ${pki.files.chain}`,
          `signer_key = ${pki.files.tsaKey}`,
          'signer_digest = sha256',
          'default_policy = 1.3.6.1.4.1.32473.9.9',
          'digests = sha256',
          'accuracy = secs:1, millisecs:500',
          'ordering = yes',
          'tsa_name = yes',
          'ess_cert_id_alg = sha256',
          '',
        ].join('\n'),
      );
      const replyFile = join(pki.dir, 'client.tsr');
      const made = spawnSync(
        'openssl',
        ['ts', '-reply', '-config', join(pki.dir, 'ts.cnf'), '-queryfile', queryFile, '-out', replyFile],
        { encoding: 'utf8' },
      );
      if (made.status !== 0) throw new Error(made.stderr);
      return new Response(readFileSync(replyFile), { headers: { 'content-type': 'application/timestamp-reply' } });
    };

    it('reads our query as we mean it', () => {
      const nonce = Buffer.from('00f1e2d3c4b5a697', 'hex');
      const queryFile = pki.write('ours.tsq', buildTimeStampReq({ digest: sha256(data), nonce, certReq: true }));
      const text = spawnSync('openssl', ['ts', '-query', '-in', queryFile, '-text'], { encoding: 'utf8' }).stdout;
      expect(text).toContain('Version: 1');
      expect(text).toContain('Hash Algorithm: sha256');
      expect(text).toContain(`0000 - ${sha256(data).subarray(0, 4).toString('hex').match(/../g)!.join(' ')}`);
      expect(text).toContain('Policy OID: unspecified');
      expect(text).toContain('Nonce: 0xF1E2D3C4B5A697');
      expect(text).toContain('Certificate required: yes');
    });

    it('stamps, and verifyTimeStampToken accepts OpenSSL’s token', async () => {
      const opensslClient = new TimestampClient({
        url: 'http://tsa.example.test/',
        timeoutMs: 5_000,
        fetch: opensslTsa,
      });
      const stamped = await opensslClient.stamp(data);
      const info = verifyTimeStampToken(stamped.token, data, pki.root);
      expect(info).toMatchObject({
        // OpenSSL takes the serial file's number plus one.
        serialHex: '0b',
        policy: '1.3.6.1.4.1.32473.9.9',
        accuracy: { seconds: 1, millis: 500, micros: 0 },
      });
      expect(info.genTime).toEqual(stamped.genTime);
    });
  });

  describe('errors', () => {
    /** A fetch to the simulator that rewrites the query on the way: the TSA answers another one. */
    const rewriting =
      (rewrite: (parts: ReturnType<typeof children>) => void): typeof fetch =>
      (url, init) => {
        const parts = children(parseDer(Buffer.from(init!.body as Uint8Array)));
        rewrite(parts);
        return fetch(url, { ...init, body: encodeDer(sequence(parts)) });
      };
    const clientWith = (fetchImpl?: typeof fetch, timeoutMs = 5_000) =>
      new TimestampClient({ url: sim.url, timeoutMs, fetch: fetchImpl });

    afterEach(async () => {
      await control('/control/reset', {});
    });

    it('unreachable: an outage resets the connection', async () => {
      await control('/control/outage', { seconds: 30 });
      const error = await timestampErrorOf(client.stamp(data));
      expect(error.code).toBe('unreachable');
      expect(error.message).toMatch(
        /^The TSA did not answer: fetch failed: (other side closed|read ECONNRESET|.*socket)/,
      );
    });

    it('unreachable: nothing listens', async () => {
      const gone = await startTsaSim(config(), { log: () => undefined });
      await gone.close();
      const error = await timestampErrorOf(new TimestampClient({ url: gone.url, timeoutMs: 5_000 }).stamp(data));
      expect(error.code).toBe('unreachable');
    });

    it('timeout: the TSA answers later than timeoutMs', async () => {
      await control('/control', { latencyMs: 2_000 }, 'PUT');
      const started = Date.now();
      const error = await timestampErrorOf(clientWith(undefined, 200).stamp(data));
      expect(error.code).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('mismatch: the TSA time-stamps other data', async () => {
      const otherData = rewriting((parts) => {
        parts[1] = sequence([sequence([oid(TSP_OID.sha256)]), octetString(sha256(Buffer.from('other')))]);
      });
      const error = await timestampErrorOf(clientWith(otherData).stamp(data));
      expect(error).toMatchObject({ code: 'mismatch', message: 'The token time-stamps other data than was sent' });
    });

    it('mismatch: the token answers another nonce', async () => {
      const otherNonce = rewriting((parts) => {
        parts[2] = unsignedInteger(randomBytes(8));
      });
      const error = await timestampErrorOf(clientWith(otherNonce).stamp(data));
      expect(error).toMatchObject({ code: 'mismatch', message: 'The token does not carry the nonce of the request' });
    });

    it('rejected: the TSA refuses the query, with its failInfo', async () => {
      const sha1 = rewriting((parts) => {
        parts[1] = sequence([sequence([oid(TSP_OID.sha1)]), octetString(Buffer.alloc(20))]);
      });
      const error = await timestampErrorOf(clientWith(sha1).stamp(data));
      expect(error.code).toBe('rejected');
      expect(error.details).toEqual({ status: 2, statusText: expect.stringContaining('not accepted'), failInfo: 0 });
    });
  });
});
