import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { Client } from 'pg';
import { children, encodeDer, isContextTag, parseDer } from '../libs/signing/src/cms/der';
import { leadingDerElement } from '../libs/signing/src/cms/testing/cms-structure';
import {
  ApiClient,
  issuedCertificate,
  preparedDraft,
  waitForStatus,
  type ApplicationBody,
} from './support/applications';
import { launchChromium, signInInBrowser } from './support/browser';
import { pdfsig, trustingNssDatabase } from './support/pdf-tools';
import { request } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

jest.setTimeout(180_000);

const SIGNATURE_TIME_STAMP_TOKEN = '1.2.840.113549.1.9.16.2.14';

interface StampedSignature {
  /** The SignerInfo's signature value: what the token's message imprint is the hash of. */
  signatureValue: Buffer;
  token: Buffer;
}

/** Every signature of the PDF, as a relying party extracts it: the CMS in its /ByteRange gap, its signature value and token. */
function stampedSignatures(pdf: Buffer): StampedSignature[] {
  const text = pdf.toString('latin1');
  return [...text.matchAll(/\/ByteRange \[(\d+) (\d+) (\d+) (\d+) *\]/g)].map((match) => {
    const [start1, length1, start2] = match.slice(1, 4).map(Number);
    const cms = leadingDerElement(Buffer.from(text.slice(start1 + length1 + 1, start2 - 1), 'hex'));
    const signedData = children(children(children(parseDer(cms))[1])[0]);
    const signerInfo = children(children(signedData[signedData.length - 1])[0]);
    const signatureAt = signerInfo.findIndex((node) => isContextTag(node, 1)) - 1;
    const unsigned = signerInfo.find((node) => isContextTag(node, 1));
    if (!unsigned) throw new Error('a signature without unsigned attributes (no time-stamp)');
    const attribute = children(unsigned).find(
      (node) => forge.asn1.derToOid(children(node)[0].value as string) === SIGNATURE_TIME_STAMP_TOKEN,
    );
    if (!attribute) throw new Error('no signature-time-stamp attribute');
    return {
      signatureValue: Buffer.from(signerInfo[signatureAt].value as string, 'latin1'),
      token: encodeDer(children(children(attribute)[1])[0]),
    };
  });
}

interface PdfVerdictBody {
  valid: boolean;
  reasons: string[];
  signatures: {
    signerName: string;
    problems: string[];
    timestamp: { time: string | null; authority: string | null; valid: boolean; problem: string | null } | null;
  }[];
}

/**
 * Trusted time-stamps (issue 8): every signature of an issued certificate carries a token of the
 * district's TSA (tsa-sim here) over its signature value; OpenSSL accepts the tokens against the
 * district root, our PDF check reports their times and refuses a tampered one, and a TSA that is
 * down only delays issuing: the resident sees 出证中 until the certificate is issued with its
 * time-stamps. Without Redis, the API itself runs the outbox (backoff shortened for the test).
 */
describe('Trusted timestamps (PAdES B-T)', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let sql: Client;
  let work: string;
  let rootDer: Buffer;
  let rootPem: string;
  let issuingPem: string;
  let resident: ApiClient;
  let approver: ApiClient;
  let issued: { pdf: Buffer; approvedAt: number; issuedAt: number };

  const opensslTsVerify = (stamped: StampedSignature) => {
    const token = join(work, 'token.der');
    writeFileSync(token, stamped.token);
    return spawnSync(
      'openssl',
      [
        'ts',
        '-verify',
        '-digest',
        createHash('sha256').update(stamped.signatureValue).digest('hex'),
        '-in',
        token,
        '-token_in',
        '-CAfile',
        rootPem,
        '-untrusted',
        issuingPem,
      ],
      { encoding: 'utf8' },
    );
  };

  async function checkPdf(pdf: Buffer): Promise<PdfVerdictBody> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'certificate.pdf');
    const answer = await request(system.api.baseUrl, '/api/verifications/pdf', { method: 'POST', body: form });
    if (answer.status !== 200) throw new Error(`pdf check: ${answer.status} ${answer.text}`);
    return answer.body as PdfVerdictBody;
  }

  beforeAll(async () => {
    db = await createTestDatabase('timestamps');
    system = await startSystem({
      DATABASE_URL: db.url,
      CERTIFICATE_ISSUE_RETRY_BASE_MS: '300',
      CERTIFICATE_ISSUE_RETRY_MAX_MS: '1500',
      // Fewer than the attempts the outage below lasts: a TSA that does not answer spends none.
      CERTIFICATE_ISSUE_MAX_ATTEMPTS: '2',
      TSA_TIMEOUT_MS: '2000',
    });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    const authorities = await sql.query<{ kind: string; certificate_der: Buffer }>(
      `SELECT kind, certificate_der FROM certificate_authorities WHERE active`,
    );
    const der = (kind: string) => authorities.rows.find((row) => row.kind === kind)!.certificate_der;
    const pem = (kind: string) => new X509Certificate(der(kind)).toString();
    rootDer = der('root');
    work = mkdtempSync(join(tmpdir(), 'zm-timestamps-'));
    rootPem = join(work, 'root.pem');
    issuingPem = join(work, 'issuing.pem');
    writeFileSync(rootPem, pem('root'));
    writeFileSync(issuingPem, pem('issuing'));
    resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    const approvedAt = Date.now();
    const { pdf } = await issuedCertificate(resident, approver, 'weather');
    issued = { pdf, approvedAt, issuedAt: Date.now() };
  }, 180_000);

  afterAll(async () => {
    await sql?.end();
    await system?.stop();
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('stamps the seal and the approver signature, and openssl ts -verify accepts both tokens against the district root', async () => {
    const signatures = stampedSignatures(issued.pdf);
    expect(signatures).toHaveLength(2);
    for (const stamped of signatures) {
      const result = opensslTsVerify(stamped);
      expect(result.stdout).toContain('Verification: OK');
      expect(result.status).toBe(0);
    }
    // The token is for this signature value and no other.
    const swapped = opensslTsVerify({ signatureValue: signatures[1].signatureValue, token: signatures[0].token });
    expect(swapped.stdout).not.toContain('Verification: OK');
    // pdfsig (poppler 22) still finds both signatures valid and trusted with the unsigned attribute in them.
    const nss = trustingNssDatabase(rootDer);
    try {
      const file = join(work, 'issued.pdf');
      writeFileSync(file, issued.pdf);
      const reports = await pdfsig(file, nss.dir);
      expect(reports.map((report) => [report.valid, report.trusted])).toEqual([
        [true, true],
        [true, true],
      ]);
    } finally {
      nss.dispose();
    }
    expect(issued.pdf.length).toBeLessThanOrEqual(60 * 1024);
  });

  it('reports each signature’s time-stamp time in the PDF check, and a tampered token makes the verdict invalid', async () => {
    const verdict = await checkPdf(issued.pdf);
    expect(verdict).toMatchObject({ valid: true, reasons: [] });
    for (const signature of verdict.signatures) {
      expect(signature.timestamp).toMatchObject({ valid: true, problem: null });
      expect(signature.timestamp!.authority).toContain('时间戳');
      const time = Date.parse(signature.timestamp!.time!);
      expect(time).toBeGreaterThanOrEqual(issued.approvedAt - 1000);
      expect(time).toBeLessThanOrEqual(issued.issuedAt + 1000);
    }

    // The imprint inside the seal signature's token (the hash of its signature value), one bit changed:
    // the bytes are in /Contents, which no signature covers, so only the token's own signature can tell.
    const [seal] = stampedSignatures(issued.pdf);
    const imprint = createHash('sha256').update(seal.signatureValue).digest('hex');
    const at = issued.pdf.indexOf(imprint, 0, 'latin1');
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.from(issued.pdf);
    tampered.write(imprint[0] === '0' ? '1' : '0', at, 'latin1');
    const refused = await checkPdf(tampered);
    expect(refused.valid).toBe(false);
    expect(refused.reasons).toContain('timestamp_invalid');
    expect(refused.signatures[0].timestamp).toMatchObject({ valid: false, problem: 'message_digest_mismatch' });
    expect(refused.signatures[0].problems).toContain('timestamp_invalid');
    expect(refused.signatures[1].timestamp).toMatchObject({ valid: true });
  });

  it('waits while the TSA is down (出证中), retries past the attempt limit, and issues the certificate with its time-stamps once it is back', async () => {
    const tsa = system.tsa!;
    const draft = await preparedDraft(resident, 'guardianship');
    expect((await resident.action(draft.id, 'submit')).status).toBe(200);
    await tsa.control('/control/outage', { seconds: 600 });
    const refusedBefore = (await tsa.stats()).refused;
    expect((await approver.action(draft.id, 'approve', { comment: '同意' })).status).toBe(200);

    // More attempts fail against the outage than CERTIFICATE_ISSUE_MAX_ATTEMPTS allows, and the job
    // stays alive; meanwhile the resident sees 出证中 and no certificate.
    const deadline = Date.now() + 30_000;
    let attempts = 0;
    while (attempts < 4) {
      if (Date.now() > deadline) throw new Error(`only ${attempts} attempts in 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      const rows = await sql.query<{ attempts: number; status: string; last_error: string | null }>(
        `SELECT attempts, status, last_error FROM outbox WHERE topic = 'certificate.issue' AND aggregate_id = $1`,
        [draft.id],
      );
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0].status).not.toBe('dead');
      attempts = rows.rows[0].attempts;
      // Between attempts (pending again) the job says why the last one failed; during its first one
      // (in flight) there is no error yet.
      if (attempts > 0 && rows.rows[0].status === 'pending') expect(rows.rows[0].last_error).toMatch(/TSA/);
    }
    const waiting = (await resident.call('GET', `/api/applications/${draft.id}`)).body as ApplicationBody;
    expect(waiting).toMatchObject({ status: 'approved', statusName: '出证中' });
    const none = await resident.call('GET', `/api/applications/${draft.id}/certificate`);
    expect([none.status, (none.body as { code: string }).code]).toEqual([404, 'CERTIFICATE_NOT_ISSUED']);
    expect((await tsa.stats()).refused).toBeGreaterThan(refusedBefore);

    // What the resident sees on the phone meanwhile (Chromium): 出证中, no certificate yet.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'zh-CN' });
      page.setDefaultTimeout(20_000);
      await signInInBrowser(page, system, 'resident-a', `/applications/${draft.id}`);
      await page.getByTestId('awaiting-issue').waitFor();
      expect(await page.getByTestId('application-status').innerText()).toBe('出证中');
      expect(await page.getByTestId('awaiting-issue').innerText()).toContain('出证中');
      expect(await page.getByTestId('certificate').count()).toBe(0);
    } finally {
      await browser.close();
    }

    const back = Date.now();
    await tsa.control('/control/outage', { seconds: 0 });
    await waitForStatus(resident, draft.id, 'issued');
    const certificate = (await resident.call('GET', `/api/applications/${draft.id}/certificate`)).body as {
      downloadUrl: string;
    };
    const pdf = Buffer.from(
      await (
        await fetch(`${system.api.baseUrl}${certificate.downloadUrl}`, {
          headers: { authorization: `Bearer ${resident.token}` },
        })
      ).arrayBuffer(),
    );
    for (const stamped of stampedSignatures(pdf)) {
      expect(opensslTsVerify(stamped).stdout).toContain('Verification: OK');
    }
    const verdict = await checkPdf(pdf);
    expect(verdict.valid).toBe(true);
    for (const signature of verdict.signatures) {
      expect(Date.parse(signature.timestamp!.time!)).toBeGreaterThanOrEqual(back - 1000);
    }
    // Nothing lost, nothing doubled: one certificate for the application, the outbox row done.
    const certificates = await sql.query(`SELECT status FROM certificates WHERE application_id = $1`, [draft.id]);
    expect(certificates.rows).toEqual([{ status: 'issued' }]);
    const row = await sql.query(`SELECT status FROM outbox WHERE topic = 'certificate.issue' AND aggregate_id = $1`, [
      draft.id,
    ]);
    expect(row.rows).toEqual([{ status: 'done' }]);
  });
});
