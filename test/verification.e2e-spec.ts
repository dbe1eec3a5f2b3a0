import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PDFDocument, PDFName } from 'pdf-lib';
import { ApiClient, issuedCertificate, type CertificateBody } from './support/applications';
import { pdfSignedOutsideTheDistrict } from './support/outside-signed-pdf';
import { qpdfRewrite, qrCodesOnPage } from './support/pdf-tools';
import { request, type Answer } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

jest.setTimeout(120_000);

interface Issued {
  applicationId: string;
  certificate: CertificateBody;
  pdf: Buffer;
  /** Compact number and code, read from the PDF's QR code with zbarimg. */
  number: string;
  code: string;
}

interface Verdict {
  status: string;
  checkedAt: string;
  certificate: Record<string, unknown> | null;
  chainUrl: string | null;
}

interface PdfVerdict {
  valid: boolean;
  reasons: string[];
  signatures: { intact: boolean; coversWholeFile: boolean; chainsToRoot: boolean; signerName: string | null }[];
  certificate: { number: string } | null;
  certificateStatus: string | null;
  documentMatches: boolean;
}

/**
 * Verification as a bank, a school or anyone with the printed QR does it: through the public API with
 * the number and code the QR carries (read off the PDF by a real decoder), through an institution's
 * API key, and by uploading the PDF. Each test speaks from its own client address (the API trusts
 * X-Forwarded-For here) so that the anonymous throttle of one does not spill into another.
 */
describe('Verification', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let sql: Client;
  let resident: ApiClient;
  let approver: ApiClient;
  let admin: ApiClient;
  let valid: Issued;
  let revoked: Issued;
  let expired: Issued;
  let apiKey: string;
  let work: string;
  let clients = 0;

  /** A fresh client address, so every test starts with a full anonymous allowance. */
  const newClient = () => `198.51.100.${++clients}`;

  async function issue(typeCode: string): Promise<Issued> {
    const { application, certificate, pdf } = await issuedCertificate(resident, approver, typeCode);
    const file = join(work, `${typeCode}.pdf`);
    writeFileSync(file, pdf);
    const [url] = await qrCodesOnPage(file, 150);
    const match = /\/v\/([0-9A-Z]+)\?c=([0-9A-Z]{8})$/.exec(url);
    if (!match) throw new Error(`unexpected QR ${url}`);
    return { applicationId: application.id, certificate, pdf, number: match[1], code: match[2] };
  }

  function verify(number: string, code: string | undefined, headers: Record<string, string>): Promise<Answer> {
    const query = code === undefined ? '' : `?code=${encodeURIComponent(code)}`;
    return request(system.api.baseUrl, `/api/verifications/${encodeURIComponent(number)}${query}`, { headers });
  }

  function uploadPdf(bytes: Buffer, headers: Record<string, string>, type = 'application/pdf'): Promise<Answer> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), 'certificate.pdf');
    return request(system.api.baseUrl, '/api/verifications/pdf', { method: 'POST', headers, body: form });
  }

  beforeAll(async () => {
    db = await createTestDatabase('verification');
    system = await startSystem({ DATABASE_URL: db.url, TRUST_PROXY: 'true', VERIFY_PUBLIC_PER_MINUTE: '60' });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    work = mkdtempSync(join(tmpdir(), 'zm-verification-'));
    resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    admin = new ApiClient(system.api.baseUrl, await system.token('admin'));
    valid = await issue('weather');
    revoked = await issue('guardianship');
    expired = await issue('business-premises-use');
    // Time passes: the certificate's validity ended yesterday.
    await sql.query(`UPDATE certificates SET valid_until = now() - interval '1 day' WHERE number = $1`, [
      expired.certificate.number,
    ]);
    const institution = await admin.call('POST', '/api/verifier-institutions', {
      name: '增城农商银行',
      sector: 'bank',
    });
    const key = await admin.call(
      'POST',
      `/api/verifier-institutions/${(institution.body as { id: string }).id}/api-keys`,
      {
        label: '柜台核验',
        rateLimitPerMinute: 600,
      },
    );
    apiKey = (key.body as { key: string }).key;
  }, 300_000);

  afterAll(async () => {
    await sql?.end();
    await system?.stop();
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('answers valid for the number and code printed in the QR, with the holder masked and the chain to download', async () => {
    const answer = await verify(valid.number, valid.code, { 'x-forwarded-for': newClient() });
    expect(answer.status).toBe(200);
    const verdict = answer.body as Verdict;
    expect(verdict.status).toBe('valid');
    expect(verdict.certificate).toMatchObject({
      number: valid.certificate.number,
      typeCode: 'weather',
      typeName: valid.certificate.typeName,
      committeeName: '城南社区居民委员会',
      committeeCode: '440118001001',
      documentSha256: createHash('sha256').update(valid.pdf).digest('hex'),
      revokedAt: null,
    });
    expect(verdict.certificate!.holderName).toMatch(/^\p{Script=Han}\*+\p{Script=Han}?$/u);
    expect(verdict.certificate!.holderIdNumber).toMatch(/^\d{4}\*{10}\d{3}[\dX]$/);
    // The number typed by hand, in its printed form, lower-case code with a space, answers the same.
    const typed = await verify(
      valid.certificate.number,
      `${valid.code.slice(0, 4)} ${valid.code.slice(4)}`.toLowerCase(),
      {
        'x-forwarded-for': newClient(),
      },
    );
    expect((typed.body as Verdict).status).toBe('valid');

    const chain = await request(system.api.baseUrl, verdict.chainUrl!);
    expect(chain.status).toBe(200);
    const pems = chain.text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n?/g)!;
    expect(pems).toHaveLength(3);
    expect(new X509Certificate(pems[0]).subject).toContain('城南社区居民委员会');
    // openssl, not our code, checks that the seal chains through the issuing CA to the root.
    writeFileSync(join(work, 'seal.pem'), pems[0]);
    writeFileSync(join(work, 'issuing.pem'), pems[1]);
    writeFileSync(join(work, 'root.pem'), pems[2]);
    const ok = execFileSync('openssl', [
      'verify',
      '-CAfile',
      join(work, 'root.pem'),
      '-untrusted',
      join(work, 'issuing.pem'),
      join(work, 'seal.pem'),
    ]).toString();
    expect(ok).toContain('seal.pem: OK');
  });

  it('reveals nothing for a wrong code, a missing code or an unknown number: the same answer each time', async () => {
    const client = { 'x-forwarded-for': newClient() };
    const wrongCode = await verify(valid.number, valid.code === 'ABCDEFGH' ? 'ABCDEFGJ' : 'ABCDEFGH', client);
    const noCode = await verify(valid.number, undefined, client);
    const unknownNumber = await verify('440118001001-WT-2026-999999-00', valid.code, client);
    const garbage = await verify('not-a-number', valid.code, client);
    for (const answer of [wrongCode, noCode, unknownNumber, garbage]) {
      expect(answer.status).toBe(200);
      const { checkedAt, ...rest } = answer.body as Verdict;
      expect(Date.parse(checkedAt)).not.toBeNaN();
      expect(rest).toEqual({ status: 'unknown', certificate: null, chainUrl: null });
    }
    const bad = await verify(valid.number, '<script>', client);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers checks that arrive together (one lookup for all of them) each with its own verdict', async () => {
    const headers = { 'x-api-key': apiKey };
    const wrong = valid.code === 'ABCDEFGH' ? 'ABCDEFGJ' : 'ABCDEFGH';
    // More than the two lookups an API process has in flight at once: some checks wait for one to return
    // (with the waiting ones never released, this test hangs).
    const asked = Array.from({ length: 60 }, (_, i) => {
      const certificate = [valid, expired, valid][i % 3];
      // Every fifth check carries a wrong code, every seventh a number nobody was issued.
      if (i % 7 === 3) return { number: `440118001001-WT-2026-9${String(i).padStart(5, '0')}-00`, code: valid.code };
      return { number: certificate.number, code: i % 5 === 4 ? wrong : certificate.code };
    });
    const answers = await Promise.all(asked.map(({ number, code }) => verify(number, code, headers)));
    answers.forEach((answer, i) => {
      const { number, code } = asked[i];
      const expected = [valid, expired].find((c) => c.number === number && c.code === code);
      const verdict = answer.body as Verdict;
      expect(answer.status).toBe(200);
      expect(verdict.status).toBe(expected === valid ? 'valid' : expected === expired ? 'expired' : 'unknown');
      expect(verdict.certificate?.number ?? null).toBe(expected?.certificate.number ?? null);
    });
  });

  it('lets the committee approver revoke with a reason, and verification answers revoked at once', async () => {
    const clerk = new ApiClient(system.api.baseUrl, await system.token('clerk-a'));
    const otherApprover = new ApiClient(system.api.baseUrl, await system.token('approver-b'));
    const path = `/api/certificates/${revoked.certificate.id}/revocation`;
    expect((await clerk.call('POST', path, { reason: '材料不实' })).status).toBe(403);
    expect((await otherApprover.call('POST', path, { reason: '材料不实' })).body).toMatchObject({
      code: 'CERTIFICATE_NOT_FOUND',
    });
    expect((await approver.call('POST', path, { reason: ' ' })).status).toBe(400);
    const before = await verify(revoked.number, revoked.code, { 'x-forwarded-for': newClient() });
    expect((before.body as Verdict).status).toBe('valid');

    const answer = await approver.call('POST', path, { reason: '申请人提供的监护关系材料不实' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'revoked',
      state: 'revoked',
      revocationReason: '申请人提供的监护关系材料不实',
    });
    const again = await approver.call('POST', path, { reason: '重复撤销' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'CERTIFICATE_ALREADY_REVOKED' });

    const after = (await verify(revoked.number, revoked.code, { 'x-forwarded-for': newClient() })).body as Verdict;
    expect(after.status).toBe('revoked');
    expect(after.certificate).toMatchObject({ revocationReason: '申请人提供的监护关系材料不实' });
    expect(Date.parse(after.certificate!.revokedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    const holderView = await resident.call('GET', `/api/applications/${revoked.applicationId}/certificate`);
    expect(holderView.body).toMatchObject({ state: 'revoked', revocationReason: '申请人提供的监护关系材料不实' });
    const inbox = await resident.call('GET', '/api/notifications');
    expect(JSON.stringify(inbox.body)).toContain('证明已被撤销');
  });

  it('answers expired once the validity date has passed', async () => {
    const verdict = (await verify(expired.number, expired.code, { 'x-forwarded-for': newClient() })).body as Verdict;
    expect(verdict.status).toBe('expired');
    expect(Date.parse(verdict.certificate!.validUntil as string)).toBeLessThan(Date.now());
  });

  it('serves institutions with an API key, refuses a wrong key, and records every check in the holder’s log', async () => {
    const answer = await verify(valid.number, valid.code, { 'x-api-key': apiKey });
    expect(answer.status).toBe(200);
    expect((answer.body as Verdict).status).toBe('valid');
    const forged = await verify(valid.number, valid.code, { 'x-api-key': `${apiKey.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);

    const log = await resident.call('GET', '/api/me/verifications?limit=100');
    expect(log.status).toBe(200);
    const { items, total } = log.body as {
      total: number;
      items: { certificateNumber: string; verifier: string; sector: string; method: string; result: string }[];
    };
    expect(total).toBe(items.length);
    const ofValid = items.filter((i) => i.certificateNumber === valid.certificate.number);
    expect(ofValid[0]).toMatchObject({ verifier: '增城农商银行', sector: 'bank', method: 'api', result: 'valid' });
    expect(ofValid.filter((i) => i.sector === 'anonymous' && i.verifier === '匿名').length).toBeGreaterThanOrEqual(2);
    // Wrong codes and unknown numbers identify no certificate: they are in nobody's log.
    expect(items.every((i) => i.result !== 'unknown')).toBe(true);
    const someoneElse = new ApiClient(system.api.baseUrl, await system.token('resident-b'));
    expect((await someoneElse.call('GET', '/api/me/verifications')).body).toMatchObject({ total: 0, items: [] });
    // Anonymous checks keep no trace of who made them.
    const columns = await sql.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'verifications' ORDER BY column_name`,
    );
    expect(columns.rows.map((c) => c.column_name)).toEqual([
      'certificate_id',
      'checked_at',
      'id',
      'institution_id',
      'method',
      'result',
      'sector',
    ]);
  });

  it('gives the holder a short-lived presentation token that the published trust list verifies', async () => {
    const path = `/api/applications/${valid.applicationId}/certificate/presentations`;
    const answer = await resident.call('POST', path, {});
    expect(answer.status).toBe(201);
    const { token, url, expiresAt } = answer.body as { token: string; url: string; expiresAt: string };
    expect(url).toBe(`${system.api.baseUrl}/v#p=${token}`);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(240_000);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);

    const trustList = (await request(system.api.baseUrl, '/api/trust-list')).body as {
      keys: { kid: string; kty: string; crv: string; x: string; y: string; nbf: number; exp: number }[];
      certificates: { role: string; sha256: string; pem: string }[];
    };
    const [header, payload, signature] = token.split('.');
    const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string; alg: string };
    expect(alg).toBe('ES256');
    const jwk = trustList.keys.find((k) => k.kid === kid)!;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    // WebCrypto, as the browser does it, not our signing code.
    const key = await crypto.subtle.importKey(
      'jwk',
      { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const verifies = (data: string) =>
      crypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        key,
        Buffer.from(signature, 'base64url'),
        Buffer.from(data),
      );
    expect(await verifies(`${header}.${payload}`)).toBe(true);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({
      sub: valid.certificate.number,
      typ: 'weather',
      cm: '城南社区居民委员会',
      dh: createHash('sha256').update(valid.pdf).digest('hex'),
      st: 'valid',
    });
    expect(claims.hid).toMatch(/^\d{4}\*{10}\d{3}[\dX]$/);
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    const forged = Buffer.from(JSON.stringify({ ...claims, st: 'valid', sub: revoked.certificate.number })).toString(
      'base64url',
    );
    expect(await verifies(`${header}.${forged}`)).toBe(false);

    const root = await sql.query<{ certificate_der: Buffer }>(
      `SELECT certificate_der FROM certificate_authorities WHERE kind = 'root'`,
    );
    const published = trustList.certificates.find((c) => c.role === 'root')!;
    expect(new X509Certificate(published.pem).raw.equals(root.rows[0].certificate_der)).toBe(true);

    // Only the holder can make one.
    const stranger = new ApiClient(system.api.baseUrl, await system.token('resident-b'));
    expect((await stranger.call('POST', path, {})).status).toBe(404);
    expect((await approver.call('POST', path, {})).status).toBe(404);
  });

  describe('the PDF check', () => {
    const check = async (bytes: Buffer) => {
      const answer = await uploadPdf(bytes, { 'x-api-key': apiKey });
      expect(answer.status).toBe(200);
      return answer.body as PdfVerdict;
    };

    it('accepts every issued certificate exactly as downloaded, and reports revoked and expired ones', async () => {
      const verdict = await check(valid.pdf);
      expect(verdict).toMatchObject({ valid: true, reasons: [], documentMatches: true, certificateStatus: 'valid' });
      expect(verdict.certificate!.number).toBe(valid.certificate.number);
      expect(verdict.signatures).toHaveLength(2);
      expect(verdict.signatures.every((s) => s.intact && s.chainsToRoot)).toBe(true);
      expect(verdict.signatures.map((s) => s.coversWholeFile)).toEqual([false, true]);
      expect((await check(revoked.pdf)).reasons).toEqual(['certificate_revoked']);
      expect((await check(expired.pdf)).reasons).toEqual(['certificate_expired']);
    });

    it('rejects one flipped byte inside the signed range', async () => {
      const tampered = Buffer.from(valid.pdf);
      // A byte of the page content, which both signatures cover.
      const at = tampered.indexOf('stream') + 20;
      tampered[at] ^= 0x01;
      const verdict = await check(tampered);
      expect(verdict.valid).toBe(false);
      expect(verdict.reasons).toContain('signature_invalid');
      expect(verdict.documentMatches).toBe(false);
    });

    it('rejects bytes appended after the last signature, still naming the certificate it came from', async () => {
      const appended = Buffer.concat([valid.pdf, Buffer.from('\n% appended after signing\n')]);
      const verdict = await check(appended);
      expect(verdict.valid).toBe(false);
      expect(verdict.reasons).toEqual(expect.arrayContaining(['not_whole_file', 'document_mismatch']));
      expect(verdict.signatures.every((s) => s.intact)).toBe(true);
      expect(verdict.certificate!.number).toBe(valid.certificate.number);
    });

    it('rejects a PDF signed properly by a key outside the district PKI', async () => {
      const verdict = await check(await pdfSignedOutsideTheDistrict(valid.certificate.number));
      expect(verdict.valid).toBe(false);
      expect(verdict.signatures).toHaveLength(1);
      expect(verdict.signatures[0]).toMatchObject({ intact: true, coversWholeFile: true, chainsToRoot: false });
      expect(verdict.reasons).toEqual(expect.arrayContaining(['untrusted_signer', 'unknown_document']));
    });

    it('rejects a re-saved copy that kept the text but lost the signatures', async () => {
      const copy = await PDFDocument.create();
      const source = await PDFDocument.load(valid.pdf);
      for (const page of await copy.copyPages(source, source.getPageIndices())) copy.addPage(page);
      const verdict = await check(Buffer.from(await copy.save()));
      expect(verdict.valid).toBe(false);
      // The copied pages keep the signature fields, but what they signed is no longer in the file.
      expect(verdict.signatures.some((s) => s.intact)).toBe(false);
      expect(verdict.reasons).toEqual(expect.arrayContaining(['signature_invalid', 'unknown_document']));

      // As "print to PDF" would: the page's text and drawing, without its signature fields.
      source.getPage(0).node.delete(PDFName.of('Annots'));
      const textOnly = await PDFDocument.create();
      textOnly.addPage((await textOnly.copyPages(source, [0]))[0]);
      const bare = await check(Buffer.from(await textOnly.save()));
      expect(bare).toMatchObject({ valid: false, signatures: [], documentMatches: false, certificate: null });
      expect(bare.reasons).toEqual(['no_signatures', 'unknown_document']);
    });

    it('answers non-PDF, broken, encrypted and oversized uploads with a clear 4xx', async () => {
      const client = { 'x-forwarded-for': newClient() };
      const notPdf = await uploadPdf(Buffer.from('hello, this is not a PDF'), client, 'text/plain');
      expect([notPdf.status, (notPdf.body as { code: string }).code]).toEqual([415, 'PDF_NOT_PDF']);
      const truncated = await uploadPdf(valid.pdf.subarray(0, 2000), client);
      expect([truncated.status, (truncated.body as { code: string }).code]).toEqual([400, 'PDF_MALFORMED']);
      const encrypted = await qpdfRewrite(valid.pdf, ['--encrypt', 'user', 'owner', '256', '--']);
      const locked = await uploadPdf(encrypted, client);
      expect([locked.status, (locked.body as { code: string }).code]).toEqual([400, 'PDF_ENCRYPTED']);
      const huge = Buffer.concat([valid.pdf, Buffer.alloc(11 * 1024 * 1024, 0x20)]);
      const tooLarge = await uploadPdf(huge, client);
      expect([tooLarge.status, (tooLarge.body as { code: string }).code]).toEqual([413, 'PDF_TOO_LARGE']);
      const empty = await request(system.api.baseUrl, '/api/verifications/pdf', { method: 'POST', headers: client });
      expect(empty.status).toBe(415);
      // The API is still healthy after all that.
      expect((await check(valid.pdf)).valid).toBe(true);
    });
  });

  it('throttles 1,000 guesses of numbers from one client, which learn nothing', async () => {
    const client = { 'x-forwarded-for': '203.0.113.77' };
    const statuses = new Map<number, number>();
    const bodies = new Set<string>();
    const retryAfter = new Set<string | null>();
    for (let i = 0; i < 1000; i++) {
      // Real-looking numbers around the real one, and the real one itself, all without codes.
      const serial = String(1 + (i % 50)).padStart(6, '0');
      const number = i % 100 === 0 ? valid.number : `440118001001WT2026${serial}00`;
      const answer = await verify(number, undefined, client);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 200) {
        const { checkedAt: _, ...rest } = answer.body as Verdict;
        bodies.add(JSON.stringify(rest));
      } else {
        expect(answer.body).toMatchObject({ code: 'VERIFICATION_RATE_LIMITED' });
        retryAfter.add(answer.headers.get('retry-after'));
      }
    }
    expect([...bodies]).toEqual([JSON.stringify({ status: 'unknown', certificate: null, chainUrl: null })]);
    // 60 points a minute, 5 per miss: 12 guesses, then 429 for the rest of the minute.
    expect(statuses.get(200)).toBe(12);
    expect(statuses.get(429)).toBe(988);
    expect([...retryAfter].every((value) => Number(value) >= 1 && Number(value) <= 60)).toBe(true);
    // Another client is not affected.
    expect((await verify(valid.number, valid.code, { 'x-forwarded-for': newClient() })).status).toBe(200);
  });
});
