import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { pdfsig, qpdfCheck, trustingNssDatabase } from './support/pdf-tools';
import { request, type Answer } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

/** Synthetic enterprises: credit codes with both check characters right (see credit-code.spec.ts). */
const ENTERPRISE = { creditCode: '91440118MA59C3KPXG', enterpriseName: '广州增城示例科技有限公司' };
const OTHER_ENTERPRISE = { creditCode: '92440118MA4W7E1N4C', enterpriseName: '增城区荔城示例便利店' };
/** seal-user-a in idp-sim's people (synthetic). */
const SEAL_USER = { name: '林晓婷', idNumber: '440118199409230226' };
const KINDS = ['official', 'finance', 'contract', 'invoice'];
/** SEAL_USE_KEY_PER_MINUTE of this spec's API: small, so the limit is quick to reach. */
const KEY_PER_MINUTE = 3;

interface SealBody {
  id: string;
  code: string;
  kind: string;
  kindName: string;
  status: string;
  manageable: boolean;
  usable: boolean;
  enterprise: { id: string; name: string };
  users: { id: string; person: { name: string; idNumber: string } }[] | null;
}

interface UseLog {
  total: number;
  items: { person: { name: string } | null; apiKeyId: string | null; documentSha256: string; page: number }[];
}

// Each test seals and checks several PDFs through the API; on a loaded two-core machine that takes seconds.
jest.setTimeout(60_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A two-page A4 contract as some other software would make it. */
async function contract(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const n of [1, 2])
    doc.addPage([595.28, 841.89]).drawText(`Purchase contract, page ${n}`, { x: 60, y: 760, size: 16, font });
  return Buffer.from(await doc.save());
}

describe('enterprise e-seals and the seal-use service (over HTTP, real PostgreSQL and Redis)', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let work: string;
  let nss: { dir: string; dispose(): void };
  let seals: SealBody[];
  let original: Buffer;
  const bearer = async (username: string) => ({ authorization: `Bearer ${await system.token(username)}` });
  const api = (path: string, init?: RequestInit) => request(system.api.baseUrl, path, init);
  const json = async (username: string, method: string, path: string, body?: unknown) =>
    api(path, {
      method,
      headers: { ...(await bearer(username)), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const code = (answer: Pick<Answer, 'status' | 'body'>) => ({
    status: answer.status,
    code: (answer.body as { code?: string })?.code,
  });
  const sealOf = (kind: string) => seals.find((seal) => seal.kind === kind)!;

  /** POST …/uses as `headers` say; the PDF back as bytes when it is one. */
  async function use(
    sealId: string,
    headers: Record<string, string>,
    file: Buffer,
    placement: { page: string; x: string; y: string },
    type = 'application/pdf',
  ): Promise<{ status: number; body: unknown; pdf: Buffer | null; headers: Headers }> {
    const form = new FormData();
    form.append('page', placement.page);
    form.append('x', placement.x);
    form.append('y', placement.y);
    form.append('file', new Blob([new Uint8Array(file)], { type }), 'contract.pdf');
    const response = await fetch(`${system.api.baseUrl}/api/enterprise-seals/${sealId}/uses`, {
      method: 'POST',
      headers,
      body: form,
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const isPdf = response.headers.get('content-type')?.startsWith('application/pdf') ?? false;
    return {
      status: response.status,
      body: isPdf ? undefined : JSON.parse(bytes.toString('utf8')),
      pdf: isPdf ? bytes : null,
      headers: response.headers,
    };
  }

  async function useLog(sealId: string): Promise<UseLog> {
    return (await json('legal-rep-a', 'GET', `/api/enterprise-seals/${sealId}/uses`)).body as UseLog;
  }

  beforeAll(async () => {
    db = await createTestDatabase('enterprise');
    // The smallest upload limit there is, so that a too-large file is quick to send.
    system = await startSystem({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      SEAL_USE_MAX_BYTES: '65536',
      SEAL_USE_KEY_PER_MINUTE: String(KEY_PER_MINUTE),
    });
    work = mkdtempSync(join(tmpdir(), 'zm-enterprise-'));
    original = await contract();
  }, 120_000);
  afterAll(async () => {
    nss?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
    await system?.stop();
    await db?.drop();
  });

  it('checks the credit code exactly and that it names an enterprise', async () => {
    const badOrganizationCode = await json('legal-rep-a', 'POST', '/api/enterprise-seal-applications', {
      ...ENTERPRISE,
      creditCode: '91440101MA5CXXXX08',
      sealKinds: ['official'],
    });
    expect(badOrganizationCode.body).toMatchObject({
      code: 'CREDIT_CODE_INVALID',
      details: { problem: 'organizationCode' },
    });
    expect(badOrganizationCode.status).toBe(400);
    const association = await json('legal-rep-a', 'POST', '/api/enterprise-seal-applications', {
      creditCode: '524401180506821509',
      enterpriseName: '增城区示例行业协会',
      sealKinds: ['official'],
    });
    expect(code(association)).toEqual({ status: 422, code: 'ENTERPRISE_CODE_NOT_ENTERPRISE' });
    const unknownKind = await json('legal-rep-a', 'POST', '/api/enterprise-seal-applications', {
      ...ENTERPRISE,
      sealKinds: ['official', 'personal'],
    });
    expect(code(unknownKind)).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('the legal representative applies, the district admin approves, and the four seals are issued', async () => {
    const applied = await json('legal-rep-a', 'POST', '/api/enterprise-seal-applications', {
      ...ENTERPRISE,
      sealKinds: KINDS,
    });
    expect(applied.status).toBe(201);
    const application = applied.body as { id: string; status: string; applicant: { name: string } };
    expect(application).toMatchObject({ status: 'submitted', applicant: { name: '郭*华' }, seals: [] });

    const again = await json('legal-rep-a', 'POST', '/api/enterprise-seal-applications', {
      ...ENTERPRISE,
      sealKinds: ['official'],
    });
    expect(code(again)).toEqual({ status: 409, code: 'ENTERPRISE_APPLICATION_PENDING' });
    // Only the district admin decides.
    expect(
      (await json('legal-rep-a', 'POST', `/api/enterprise-seal-applications/${application.id}/approve`)).status,
    ).toBe(403);
    const queue = await json('admin', 'GET', '/api/enterprise-seal-applications?status=submitted');
    expect((queue.body as { items: { id: string }[] }).items.map((a) => a.id)).toContain(application.id);

    const approved = await json('admin', 'POST', `/api/enterprise-seal-applications/${application.id}/approve`);
    expect(approved.status).toBe(200);
    const body = approved.body as { status: string; seals: { kind: string; code: string }[] };
    expect(body.status).toBe('approved');
    expect(body.seals.map((s) => s.kind).sort()).toEqual([...KINDS].sort());
    expect(body.seals.every((s) => /^4401189\d{6}$/.test(s.code))).toBe(true);
    const twice = await json('admin', 'POST', `/api/enterprise-seal-applications/${application.id}/approve`);
    expect(code(twice)).toEqual({ status: 409, code: 'ENTERPRISE_APPLICATION_DECIDED' });

    const mine = await json('legal-rep-a', 'GET', '/api/enterprise-seals');
    seals = (mine.body as { items: SealBody[] }).items;
    expect(seals).toHaveLength(4);
    expect(seals.map((s) => s.kindName).sort()).toEqual(['公章', '发票专用章', '合同专用章', '财务专用章'].sort());
    expect(
      seals.every((s) => s.status === 'active' && s.manageable && s.enterprise.name === ENTERPRISE.enterpriseName),
    ).toBe(true);
    // Each seal's certificate chains to the district root, as its chain.pem shows.
    const chain = await api(`/api/trust-list/seals/${sealOf('contract').id}/chain.pem`);
    const pems = chain.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    const [leaf, issuing, root] = pems.map((pem) => new X509Certificate(pem));
    expect(leaf.subject).toContain(`CN=${ENTERPRISE.enterpriseName}合同专用章`);
    expect(leaf.verify(issuing.publicKey) && issuing.verify(root.publicKey)).toBe(true);
    nss = trustingNssDatabase(root.raw);
  });

  it('an application can be rejected with a reason the applicant sees', async () => {
    const applied = await json('legal-rep-a', 'POST', '/api/enterprise-seal-applications', {
      ...OTHER_ENTERPRISE,
      sealKinds: ['official', 'invoice'],
    });
    const id = (applied.body as { id: string }).id;
    const blank = await json('admin', 'POST', `/api/enterprise-seal-applications/${id}/reject`, { reason: '  ' });
    expect(code(blank)).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    await json('admin', 'POST', `/api/enterprise-seal-applications/${id}/reject`, {
      reason: '营业执照名称与申请不一致',
    });
    const seen = await json('legal-rep-a', 'GET', `/api/enterprise-seal-applications/${id}`);
    expect(seen.body).toMatchObject({ status: 'rejected', decisionReason: '营业执照名称与申请不一致', seals: [] });
    // Someone else's application does not exist for the caller.
    expect((await json('seal-user-a', 'GET', `/api/enterprise-seal-applications/${id}`)).status).toBe(404);
  });

  it('the legal representative names a user of the contract seal, masked in the list', async () => {
    const contractSeal = sealOf('contract');
    // Only the legal representative names users.
    const byStranger = await json('seal-user-a', 'POST', `/api/enterprise-seals/${contractSeal.id}/users`, SEAL_USER);
    expect(byStranger.status).toBe(404);
    const added = await json('legal-rep-a', 'POST', `/api/enterprise-seals/${contractSeal.id}/users`, SEAL_USER);
    expect(added.status).toBe(201);
    expect((added.body as SealBody).users).toEqual([
      expect.objectContaining({ person: expect.objectContaining({ name: '林*婷', idNumber: '4401**********0226' }) }),
    ]);
    const duplicate = await json('legal-rep-a', 'POST', `/api/enterprise-seals/${contractSeal.id}/users`, SEAL_USER);
    expect(code(duplicate)).toEqual({ status: 409, code: 'ENTERPRISE_SEAL_USER_EXISTS' });
    const usable = (await json('seal-user-a', 'GET', '/api/enterprise-seals')).body as { items: SealBody[] };
    expect(usable.items.map((s) => [s.kind, s.usable, s.users])).toEqual([['contract', true, null]]);
  });

  it('an authorised user seals an uploaded PDF on the chosen page: pdfsig validates it and the seal shows there', async () => {
    const contractSeal = sealOf('contract');
    const answer = await use(contractSeal.id, await bearer('seal-user-a'), original, { page: '2', x: '420', y: '160' });
    expect(answer.status).toBe(200);
    const signed = answer.pdf!;
    expect(signed.subarray(0, original.length).equals(original)).toBe(true);
    const file = join(work, 'sealed.pdf');
    writeFileSync(file, signed);
    const [signature, ...more] = await pdfsig(file, nss.dir);
    expect(more).toEqual([]);
    expect(signature).toMatchObject({
      signer: `${ENTERPRISE.enterpriseName}合同专用章`,
      valid: true,
      trusted: true,
      totalDocumentSigned: true,
      subFilter: 'ETSI.CAdES.detached',
    });
    await qpdfCheck(file);
    // The red seal is drawn at (420, 160) on page 2 and not on page 1: render both and look.
    execFileSync('pdftoppm', ['-png', '-r', '36', file, join(work, 'page')]);
    const pixel = async (page: number, x: number, y: number) => {
      const image = sharp(readFileSync(join(work, `page-${page}.png`)));
      const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
      // 36 dpi: half a point per pixel; y counted from the top.
      const px = Math.round(x / 2);
      const py = Math.round((841.89 - y) / 2);
      let red = 0;
      for (let dy = -12; dy <= 12; dy++)
        for (let dx = -12; dx <= 12; dx++) {
          const at = ((py + dy) * info.width + (px + dx)) * info.channels;
          if (data[at] > 150 && data[at + 1] < 100 && data[at + 2] < 100) red++;
        }
      return red;
    };
    expect(await pixel(2, 420, 160)).toBeGreaterThan(40);
    expect(await pixel(1, 420, 160)).toBe(0);

    const log = await useLog(contractSeal.id);
    expect(log.total).toBe(1);
    expect(log.items[0]).toMatchObject({
      person: { name: '林*婷' },
      apiKeyId: null,
      documentSha256: sha256(original),
      signedSha256: sha256(signed),
      page: 2,
    });
    expect(answer.headers.get('x-seal-use-id')).toBe((log.items[0] as unknown as { id: string }).id);
  });

  it('refuses, with a clear code and nothing signed or logged: another seal, a non-PDF, an encrypted, broken or too large PDF, a page or place off the document', async () => {
    const contractSeal = sealOf('contract');
    const user = await bearer('seal-user-a');
    const before = (await useLog(contractSeal.id)).total;
    const place = { page: '1', x: '300', y: '300' };

    const notAuthorised = await use(sealOf('official').id, user, original, place);
    expect(code(notAuthorised)).toEqual({ status: 403, code: 'SEAL_USE_NOT_AUTHORIZED' });
    expect((notAuthorised.body as { message: string }).message).toMatch(/未获得该印章的用章授权/);
    const stranger = await use(contractSeal.id, await bearer('resident-b'), original, place);
    expect(code(stranger)).toEqual({ status: 403, code: 'SEAL_USE_NOT_AUTHORIZED' });

    const text = await use(contractSeal.id, user, Buffer.from('这不是 PDF'), place, 'text/plain');
    expect(code(text)).toEqual({ status: 415, code: 'SEAL_USE_NOT_PDF' });
    const plain = join(work, 'plain.pdf');
    writeFileSync(plain, original);
    execFileSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, join(work, 'encrypted.pdf')]);
    const encrypted = await use(contractSeal.id, user, readFileSync(join(work, 'encrypted.pdf')), place);
    expect(code(encrypted)).toEqual({ status: 400, code: 'SEAL_USE_PDF_ENCRYPTED' });
    const truncated = await use(contractSeal.id, user, original.subarray(0, original.length - 40), place);
    expect(code(truncated)).toEqual({ status: 400, code: 'SEAL_USE_PDF_MALFORMED' });

    const tooLarge = await use(contractSeal.id, user, Buffer.concat([original, Buffer.alloc(70_000, 0x20)]), place);
    expect(code(tooLarge)).toEqual({ status: 413, code: 'SEAL_USE_PDF_TOO_LARGE' });

    const page3 = await use(contractSeal.id, user, original, { ...place, page: '3' });
    expect(code(page3)).toEqual({ status: 422, code: 'SEAL_USE_PAGE_OUT_OF_RANGE' });
    const offPage = await use(contractSeal.id, user, original, { page: '1', x: '580', y: '300' });
    expect(code(offPage)).toEqual({ status: 422, code: 'SEAL_USE_POSITION_OFF_PAGE' });
    const noPage = await use(contractSeal.id, user, original, { ...place, page: 'two' });
    expect(code(noPage)).toEqual({ status: 400, code: 'VALIDATION_FAILED' });

    expect((await useLog(contractSeal.id)).total).toBe(before);
  });

  it("the enterprise's own system seals with its API key; a revoked key is refused", async () => {
    const contractSeal = sealOf('contract');
    const created = await json('legal-rep-a', 'POST', `/api/enterprises/${contractSeal.enterprise.id}/api-keys`, {
      label: '合同管理系统',
    });
    expect(created.status).toBe(201);
    const { id: keyId, key } = created.body as { id: string; key: string };
    expect(key).toMatch(/^zes_/);
    // Not the legal representative: no key.
    const byUser = await json('seal-user-a', 'POST', `/api/enterprises/${contractSeal.enterprise.id}/api-keys`, {
      label: 'x',
    });
    expect(code(byUser)).toEqual({ status: 403, code: 'ENTERPRISE_NOT_LEGAL_REPRESENTATIVE' });

    const sealed = await use(sealOf('invoice').id, { 'x-api-key': key }, original, { page: '1', x: '450', y: '120' });
    expect(sealed.status).toBe(200);
    const file = join(work, 'system.pdf');
    writeFileSync(file, sealed.pdf!);
    expect((await pdfsig(file, nss.dir))[0]).toMatchObject({
      signer: `${ENTERPRISE.enterpriseName}发票专用章`,
      valid: true,
    });
    expect((await useLog(sealOf('invoice').id)).items[0]).toMatchObject({ person: null, apiKeyId: keyId });

    expect(
      (await json('legal-rep-a', 'DELETE', `/api/enterprises/${contractSeal.enterprise.id}/api-keys/${keyId}`)).status,
    ).toBe(204);
    const revoked = await use(sealOf('invoice').id, { 'x-api-key': key }, original, { page: '1', x: '450', y: '120' });
    expect(code(revoked)).toEqual({ status: 401, code: 'API_KEY_INVALID' });
  });

  it("an enterprise's key past its requests a minute gets 429 API_KEY_RATE_LIMITED, and nothing is signed", async () => {
    const contractSeal = sealOf('contract');
    const created = await json('legal-rep-a', 'POST', `/api/enterprises/${contractSeal.enterprise.id}/api-keys`, {
      label: '批量用章',
    });
    const { key } = created.body as { key: string };
    const before = (await useLog(sealOf('invoice').id)).total;
    const place = { page: '1', x: '450', y: '120' };
    const answers = [];
    for (let i = 0; i < KEY_PER_MINUTE + 2; i += 1) {
      answers.push(await use(sealOf('invoice').id, { 'x-api-key': key }, original, place));
    }
    expect(answers.map((a) => a.status)).toEqual([
      ...Array<number>(KEY_PER_MINUTE).fill(200),
      ...Array<number>(2).fill(429),
    ]);
    expect(answers.at(-1)!.body).toMatchObject({
      code: 'API_KEY_RATE_LIMITED',
      details: { retryAfterSeconds: expect.any(Number) },
    });
    expect((await useLog(sealOf('invoice').id)).total).toBe(before + KEY_PER_MINUTE);
  });

  it('a suspended and a revoked seal refuse every use; verification shows the state at signing and now', async () => {
    const user = await bearer('seal-user-a');
    const place = { page: '1', x: '300', y: '300' };
    const contractSeal = sealOf('contract');
    const before = (await useLog(contractSeal.id)).total;

    // The seal lifecycle's routes: the district admin suspends, reinstates and revokes enterprise seals too.
    const suspension = await json('admin', 'POST', `/api/seals/${contractSeal.id}/suspension`, {
      reason: '印章保管人员调整',
    });
    expect(suspension.body).toMatchObject({ status: 'suspended' });
    const suspended = await use(contractSeal.id, user, original, place);
    expect(code(suspended)).toEqual({ status: 409, code: 'SEAL_SUSPENDED' });
    await json('admin', 'POST', `/api/seals/${contractSeal.id}/reinstatement`, { reason: '已重新指定保管人员' });
    const reinstated = await use(contractSeal.id, user, original, place);
    expect(reinstated.status).toBe(200);
    await json('admin', 'POST', `/api/seals/${contractSeal.id}/revocation`, { reason: '企业注销' });
    const revoked = await use(contractSeal.id, user, original, place);
    expect(code(revoked)).toEqual({ status: 409, code: 'SEAL_REVOKED' });
    expect((await useLog(contractSeal.id)).total).toBe(before + 1);

    // The document sealed while the seal was active: the PDF check names the seal, active then, revoked now.
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(reinstated.pdf!)], { type: 'application/pdf' }), 'sealed.pdf');
    const verdict = await api('/api/verifications/pdf', { method: 'POST', body: form });
    expect(verdict.status).toBe(200);
    const body = verdict.body as {
      valid: boolean;
      reasons: string[];
      documentMatches: boolean;
      sealUse: unknown;
      signatures: { intact: boolean; chainsToRoot: boolean; seal: unknown; timestamp: unknown }[];
    };
    // Sealed by the platform while the seal was in force, byte for byte what the use gave back.
    expect(body).toMatchObject({
      valid: true,
      reasons: [],
      documentMatches: true,
      sealUse: {
        enterpriseName: ENTERPRISE.enterpriseName,
        kindName: '合同专用章',
        sealCode: contractSeal.code,
        page: 1,
        signedSha256: sha256(reinstated.pdf!),
      },
    });
    const [signature] = body.signatures;
    expect(signature).toMatchObject({
      intact: true,
      chainsToRoot: true,
      // PAdES B-T: the district TSA's token over the signature value, valid.
      timestamp: { valid: true, time: expect.any(String) },
      seal: {
        code: contractSeal.code,
        atSigning: { status: 'active' },
        now: { status: 'revoked', reason: '企业注销' },
      },
    });
    // One digit changed in the sealed document (the signing time's last second): the signature breaks.
    const tampered = Buffer.from(reinstated.pdf!);
    const at = tampered.indexOf('/M (D:', 0, 'latin1') + '/M (D:yyyyMMddHHmms'.length;
    tampered[at] = tampered[at] === 0x30 ? 0x31 : 0x30;
    const tamperedForm = new FormData();
    tamperedForm.append('file', new Blob([new Uint8Array(tampered)], { type: 'application/pdf' }), 'sealed.pdf');
    const refused = await api('/api/verifications/pdf', { method: 'POST', body: tamperedForm });
    expect(refused.body).toMatchObject({ valid: false, reasons: expect.arrayContaining(['signature_invalid']) });
  });

  it('with the TSA down a use is refused (503) and nothing is signed or logged; once it is back the use goes through', async () => {
    const invoice = sealOf('invoice');
    await json('legal-rep-a', 'POST', `/api/enterprise-seals/${invoice.id}/users`, SEAL_USER);
    const user = await bearer('seal-user-a');
    const place = { page: '1', x: '300', y: '300' };
    const before = (await useLog(invoice.id)).total;
    await system.tsa!.control('/control/outage', { seconds: 60 });
    try {
      const refused = await use(invoice.id, user, original, place);
      expect(code(refused)).toEqual({ status: 503, code: 'SEAL_USE_TIMESTAMP_UNAVAILABLE' });
      expect((await useLog(invoice.id)).total).toBe(before);
    } finally {
      await system.tsa!.control('/control/outage', { seconds: 0 });
    }
    expect((await use(invoice.id, user, original, place)).status).toBe(200);
    expect((await useLog(invoice.id)).total).toBe(before + 1);
  });

  it('a removed user is refused; the admin reads any use log, a user none', async () => {
    const user = await bearer('seal-user-a');
    const place = { page: '1', x: '300', y: '300' };
    const financeSeal = sealOf('finance');
    const added = (await json('legal-rep-a', 'POST', `/api/enterprise-seals/${financeSeal.id}/users`, SEAL_USER))
      .body as SealBody;
    expect((await use(financeSeal.id, user, original, place)).status).toBe(200);
    const removed = await json(
      'legal-rep-a',
      'DELETE',
      `/api/enterprise-seals/${financeSeal.id}/users/${added.users![0].id}`,
    );
    expect(removed.status).toBe(204);
    const afterRemoval = await use(financeSeal.id, user, original, place);
    expect(code(afterRemoval)).toEqual({ status: 403, code: 'SEAL_USE_NOT_AUTHORIZED' });
    // The admin reads any seal's log; the user never reads it.
    expect(((await json('admin', 'GET', `/api/enterprise-seals/${financeSeal.id}/uses`)).body as UseLog).total).toBe(1);
    expect((await json('seal-user-a', 'GET', `/api/enterprise-seals/${financeSeal.id}/uses`)).status).toBe(404);
  });
});
