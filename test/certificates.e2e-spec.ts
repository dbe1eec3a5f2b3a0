import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  ApiClient,
  issuedCertificate,
  preparedDraft,
  type ApplicationBody,
  type CertificateBody,
} from './support/applications';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { pdfsig, pdfText, qpdfCheck, qrCodesOnPage, trustingNssDatabase } from './support/pdf-tools';
import { createSoftHsmToken, type SoftHsmToken } from './support/softhsm';
import { startSystem, type RunningSystem } from './support/test-system';

jest.setTimeout(120_000);

const TYPES = [
  'business-premises-use',
  'ev-charger-installation',
  'guardianship',
  'weather',
  'entertainment-venue-deregistration',
];

/**
 * Issuing, end to end: the resident applies, the clerk and the approver decide, the outbox hands the
 * approval to the issuer (in-process here: no Redis), and what comes back is checked with the tools a
 * bank or a school would use: poppler's pdfsig trusting only the district root, pdftotext, qpdf and a
 * QR decoder reading the page as printed at 150 dpi.
 */
describe.each(['software', 'pkcs11'] as const)('Issuing signed certificates (%s key store)', (keyStore) => {
  let db: TestDatabase;
  let hsm: SoftHsmToken | undefined;
  let system: RunningSystem;
  let sql: Client;
  let nss: { dir: string; dispose(): void };
  let work: string;
  let resident: ApiClient;
  let approver: ApiClient;
  const issued = new Map<string, { application: ApplicationBody; certificate: CertificateBody; file: string }>();

  beforeAll(async () => {
    db = await createTestDatabase(`certificates_${keyStore}`);
    hsm = keyStore === 'pkcs11' ? await createSoftHsmToken({ label: 'zhengming-e2e' }) : undefined;
    system = await startSystem({
      DATABASE_URL: db.url,
      ...(hsm
        ? {
            KEY_STORE: 'pkcs11',
            PKCS11_LIBRARY: hsm.library,
            PKCS11_TOKEN_LABEL: hsm.tokenLabel,
            PKCS11_PIN: hsm.pin,
            // SoftHSM finds its token store through this file, read when the API opens the library.
            SOFTHSM2_CONF: hsm.conf,
          }
        : {}),
    });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    const root = await sql.query<{ certificate_der: Buffer }>(
      `SELECT certificate_der FROM certificate_authorities WHERE kind = 'root' AND active`,
    );
    nss = trustingNssDatabase(root.rows[0].certificate_der);
    work = await mkdtemp(join(tmpdir(), 'zm-certificates-'));
    resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
  }, 180_000);

  afterAll(async () => {
    await sql?.end();
    await system?.stop();
    await db?.drop();
    await hsm?.dispose();
    nss?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function issue(typeCode: string): Promise<void> {
    const { application, certificate, pdf } = await issuedCertificate(resident, approver, typeCode);
    const file = join(work, `${typeCode}.pdf`);
    await writeFile(file, pdf);
    issued.set(typeCode, { application, certificate, file });
  }

  it.each(TYPES)('issues %s as a PDF that pdfsig finds validly sealed and signed, and trusted', async (typeCode) => {
    await issue(typeCode);
    const { application, certificate, file } = issued.get(typeCode)!;
    expect(application.timeline.at(-1)).toMatchObject({ action: 'issue', status: 'issued' });
    expect(certificate.number).toMatch(/^440118001001-[A-Z]{2}-\d{4}-\d{6}-[0-9A-Z]{2}$/);

    const signatures = await pdfsig(file, nss.dir);
    expect(signatures).toHaveLength(2);
    for (const signature of signatures) {
      expect(signature).toMatchObject({
        validation: 'Signature is Valid.',
        certificateValidation: 'Certificate is Trusted.',
        subFilter: 'ETSI.CAdES.detached',
        hash: 'SHA-256',
      });
    }
    expect(signatures[0].signer).toContain('电子印章');
    expect(signatures[1].signer).toBe('刘建国');
    expect(signatures[0].totalDocumentSigned).toBe(false);
    expect(signatures[1].totalDocumentSigned).toBe(true);

    const text = (await pdfText(file)).replace(/[ \t]+/g, '');
    expect(text).toContain(certificate.typeName);
    expect(text).toContain('城南社区居民委员会');
    expect(text).toContain(certificate.number);
    expect(await qpdfCheck(file)).toMatch(/No syntax or stream encoding errors found/);

    const [url, ...others] = await qrCodesOnPage(file, 150);
    expect(others).toEqual([]);
    expect(url).toMatch(
      new RegExp(`^${system.api.baseUrl}/v/${certificate.number.replace(/-/g, '')}\\?c=[0-9A-HJKMNP-TV-Z]{8}$`),
    );
    expect(text).toContain(url.slice(-8).replace(/(.{4})(.{4})/, '$1$2'));

    const bytes = await readFile(file);
    expect(bytes.length).toBe(certificate.documentBytes);
    // The signing issue's bound, with both signatures time-stamped (PAdES B-T).
    expect(bytes.length).toBeLessThanOrEqual(60 * 1024);
  });

  it('makes pdfsig reject a signature when any single byte it covers changes', async () => {
    const { file } = issued.get('guardianship')!;
    const original = await readFile(file);
    const signed = signedRanges(original);
    const last = signed.at(-1)!;
    for (let trial = 0; trial < 8; trial++) {
      const [start, length] = last[trial % 2];
      const position = start + randomInt(length);
      const tampered = Buffer.from(original);
      tampered[position] ^= 0x01;
      const copy = join(work, `tampered-${trial}.pdf`);
      await writeFile(copy, tampered);
      const reports = await pdfsig(copy, nss.dir);
      signed.forEach((ranges, i) => {
        if (!ranges.some(([s, l]) => position >= s && position < s + l)) return;
        // A flip may also break the file's structure, so that pdfsig no longer finds the signature.
        expect({ position, signature: i, valid: reports[i]?.valid ?? false }).toEqual({
          position,
          signature: i,
          valid: false,
        });
      });
    }
  });

  it('lets only the holder and the committee download the certificate', async () => {
    const { application } = issued.get('weather')!;
    const stranger = new ApiClient(system.api.baseUrl, await system.token('resident-b'));
    const otherCommittee = new ApiClient(system.api.baseUrl, await system.token('clerk-b'));
    expect((await stranger.call('GET', `/api/applications/${application.id}/certificate.pdf`)).status).toBe(404);
    expect((await otherCommittee.call('GET', `/api/applications/${application.id}/certificate`)).status).toBe(403);
    const clerk = new ApiClient(system.api.baseUrl, await system.token('clerk-a'));
    expect((await clerk.call('GET', `/api/applications/${application.id}/certificate.pdf`)).status).toBe(200);
    const draft = await preparedDraft(resident, 'weather');
    const early = await resident.call('GET', `/api/applications/${draft.id}/certificate.pdf`);
    expect(early.status).toBe(404);
    expect(early.body).toMatchObject({ code: 'CERTIFICATE_NOT_ISSUED' });
  });

  it('shows the district admin all 366 seals and each seal’s usage log', async () => {
    const admin = new ApiClient(system.api.baseUrl, await system.token('admin'));
    const page = await admin.call('GET', '/api/seals?limit=5');
    expect(page.status).toBe(200);
    const body = page.body as {
      total: number;
      items: { id: string; code: string; status: string; committeeCode: string }[];
    };
    expect(body.total).toBe(366);
    const seal = body.items.find((s) => s.committeeCode === '440118001001')!;
    expect(seal).toMatchObject({ code: '4401180010011', status: 'active', algorithm: 'ec-p256' });
    const uses = await admin.call('GET', `/api/seals/${seal.id}/uses`);
    expect(uses.status).toBe(200);
    const numbers = (uses.body as { items: { number: string }[] }).items.map((u) => u.number).sort();
    expect(numbers).toEqual([...issued.values()].map((i) => i.certificate.number).sort());
    expect((await resident.call('GET', '/api/seals')).status).toBe(403);
  });

  it(`keeps every private key in the ${keyStore} store`, async () => {
    const keys = await sql.query<{ store: string; count: string }>(
      `SELECT store, count(*) AS count FROM signing_keys GROUP BY store`,
    );
    // 366 seals, the root, the issuing CA and the approver's personal key.
    expect(keys.rows).toEqual([{ store: keyStore, count: '369' }]);
    const handles = await sql.query<{ handle: string }>(`SELECT handle FROM signing_keys LIMIT 1`);
    expect(handles.rows[0].handle).toMatch(keyStore === 'software' ? /^v1\.k1\./ : /^[0-9a-f]{32}$/);
  });

  it('numbers certificates densely per committee, type and year', async () => {
    const rows = await sql.query<{ number: string; status: string }>(`SELECT number, status FROM certificates`);
    expect(rows.rows.every((r) => r.status === 'issued')).toBe(true);
    expect(rows.rows.every((r) => r.number.includes('-000001-'))).toBe(true);
  });
});

/** Each signature's two [start, length] ranges, in file order, read from its /ByteRange. */
function signedRanges(pdf: Buffer): [number, number][][] {
  return [...pdf.toString('latin1').matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].map(
    ([, a, b, c, d]) => [
      [Number(a), Number(b)],
      [Number(c), Number(d)],
    ],
  );
}
