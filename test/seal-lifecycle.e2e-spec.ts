import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { ApiClient, issuedCertificate, preparedDraft, waitForStatus } from './support/applications';
import { pdfsig, trustingNssDatabase } from './support/pdf-tools';
import { request, type Answer } from './support/test-app';
import { createSoftHsmToken, type SoftHsmToken } from './support/softhsm';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

jest.setTimeout(180_000);

const run = promisify(execFile);

interface SealBody {
  id: string;
  code: string;
  status: string;
  statusReason: string | null;
  statusChangedAt: string | null;
  certificateSerial: string;
  notBefore: string;
  notAfter: string;
}

interface SealCertificateBody {
  serial: string;
  current: boolean;
  replacedAt: string | null;
  crlUrl: string;
}

/**
 * A committee seal's life, end to end over HTTP: suspension holds issuing back (the application waits
 * as 待出证, nothing lost) until reinstatement; renewal and key rotation leave what was signed before
 * valid for pdfsig and for our PDF check while new certificates carry the new certificate; revocation
 * is final and lands on the issuing CA's CRL, which openssl verifies and with which pdfsig reports
 * the seal's signatures as revoked.
 */
describe.each(['software', 'pkcs11'] as const)('seal lifecycle (%s key store)', (keyStore) => {
  let db: TestDatabase;
  let hsm: SoftHsmToken | undefined;
  let system: RunningSystem;
  let sql: Client;
  let work: string;
  let rootDer: Buffer;
  let issuingDer: Buffer;
  let resident: ApiClient;
  let approver: ApiClient;
  let admin: ApiClient;
  let seal: SealBody;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestDatabase(`seal_lifecycle_${keyStore}`);
    // Under PKCS#11 the new key of a rotation is made in the HSM and the CA signs its CRL there.
    hsm = keyStore === 'pkcs11' ? await createSoftHsmToken({ label: 'zm-seal-lifecycle' }) : undefined;
    system = await startSystem({
      DATABASE_URL: db.url,
      ...(hsm
        ? {
            KEY_STORE: 'pkcs11',
            PKCS11_LIBRARY: hsm.library,
            PKCS11_TOKEN_LABEL: hsm.tokenLabel,
            PKCS11_PIN: hsm.pin,
            SOFTHSM2_CONF: hsm.conf,
          }
        : {}),
    });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    const authorities = await sql.query<{ kind: string; certificate_der: Buffer }>(
      `SELECT kind, certificate_der FROM certificate_authorities WHERE active`,
    );
    rootDer = authorities.rows.find((row) => row.kind === 'root')!.certificate_der;
    issuingDer = authorities.rows.find((row) => row.kind === 'issuing')!.certificate_der;
    work = await mkdtemp(join(tmpdir(), 'zm-seal-lifecycle-'));
    resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    admin = new ApiClient(system.api.baseUrl, await system.token('admin'));
    const page = await admin.call('GET', '/api/seals?q=440118001001');
    seal = (page.body as { items: SealBody[] }).items[0];
  }, 180_000);

  afterAll(async () => {
    await sql?.end();
    await system?.stop();
    await db?.drop();
    await hsm?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function issue(name: string, typeCode = 'weather'): Promise<string> {
    const { pdf } = await issuedCertificate(resident, approver, typeCode);
    const file = join(work, `${name}.pdf`);
    await writeFile(file, pdf);
    files[name] = file;
    return file;
  }

  function checkPdf(file: string): Promise<Answer> {
    return import('node:fs/promises').then(async ({ readFile }) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(await readFile(file))], { type: 'application/pdf' }), 'c.pdf');
      return request(system.api.baseUrl, '/api/verifications/pdf', { method: 'POST', body: form });
    });
  }

  /** The seal signature's signer serial, read from the PDF by pdfsig -dump and openssl, not by our parser. */
  async function sealSerialIn(file: string): Promise<string> {
    const dir = await mkdtemp(join(work, 'dump-'));
    try {
      // pdfsig -dump writes each signature's CMS into the working directory as <file name>.sig<n>.
      await run('pdfsig', ['-nocert', '-dump', file], { cwd: dir }).catch(() => undefined);
      const cms = join(dir, `${basename(file)}.sig0`);
      const printed = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cms, '-noout'], {
        encoding: 'utf8',
      });
      const match = /signerInfos:[\s\S]*?serialNumber: (0x[0-9A-F]+|\d+)/i.exec(printed.stdout);
      if (!match) throw new Error(`no signer serial in ${cms}: ${printed.stderr}`);
      return BigInt(match[1]).toString(16).padStart(32, '0');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('refuses bad input with a coded 4xx and changes nothing', async () => {
    const cases: [string, unknown, number, string][] = [
      [`/api/seals/${seal.id}/suspension`, {}, 400, 'VALIDATION_FAILED'],
      [`/api/seals/${seal.id}/suspension`, { reason: 'x' }, 400, 'VALIDATION_FAILED'],
      [`/api/seals/${seal.id}/revocation`, { reason: '测试原因', code: 'becauseISaidSo' }, 400, 'VALIDATION_FAILED'],
      [`/api/seals/${seal.id}/key-rotation`, { revokePrevious: 'cACompromise' }, 400, 'VALIDATION_FAILED'],
      [`/api/seals/${seal.id}/reinstatement`, {}, 409, 'SEAL_STATUS_CONFLICT'],
      [`/api/seals/00000000-0000-4000-8000-000000000000/suspension`, { reason: '测试原因' }, 404, 'SEAL_NOT_FOUND'],
    ];
    for (const [path, body, status, code] of cases) {
      const answer = await admin.call('POST', path, body);
      expect({ path, status: answer.status, code: (answer.body as { code: string }).code }).toEqual({
        path,
        status,
        code,
      });
      expect((answer.body as { message: string }).message).toMatch(/[\u4e00-\u9fff]/);
    }
    const after = (await admin.call('GET', `/api/seals/${seal.id}`)).body as SealBody;
    expect(after).toMatchObject({ status: 'active', certificateSerial: seal.certificateSerial });
    const crl = await fetch(`${system.api.baseUrl}/pki/crl/00000000-0000-4000-8000-000000000000.crl`);
    expect(crl.status).toBe(404);
    expect(((await crl.json()) as { code: string }).code).toBe('CRL_ISSUER_NOT_FOUND');
  });

  it('holds issuing back while the seal is suspended and issues once it is reinstated', async () => {
    const before = await issue('before-suspension');
    expect((await pdfsig(before, trustingNssDatabase(rootDer).dir)).map((s) => s.valid)).toEqual([true, true]);

    const suspended = await approver.call('POST', `/api/seals/${seal.id}/suspension`, { reason: '印章保管人员离职' });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: 'suspended', statusReason: '印章保管人员离职' });

    const draft = await preparedDraft(resident, 'weather');
    expect((await resident.action(draft.id, 'submit')).status).toBe(200);
    expect((await approver.action(draft.id, 'approve', { comment: '同意' })).status).toBe(200);
    // The issuer tries, is refused with a clear reason, and the application waits (待出证) rather than failing.
    const deadline = Date.now() + 30_000;
    let lastError = '';
    while (!lastError && Date.now() < deadline) {
      const rows = await sql.query<{ last_error: string | null }>(
        `SELECT last_error FROM outbox WHERE topic = 'certificate.issue' AND aggregate_id = $1`,
        [draft.id],
      );
      lastError = rows.rows[0]?.last_error ?? '';
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The outbox keeps the refusal's message (SEAL_SUSPENDED): what an operator reads on the queue board.
    expect(lastError).toBe('该电子印章已暂停使用，恢复前不能用印');
    const waiting = await resident.call('GET', `/api/applications/${draft.id}`);
    expect(waiting.body).toMatchObject({ status: 'approved' });
    expect((await resident.call('GET', `/api/applications/${draft.id}/certificate`)).status).toBe(404);

    const reinstated = await admin.call('POST', `/api/seals/${seal.id}/reinstatement`, {
      reason: '已重新指定保管人员',
    });
    expect(reinstated.body).toMatchObject({ status: 'active' });
    // Due at once on reinstatement, not at the end of its backoff.
    await waitForStatus(resident, draft.id, 'issued');

    const audit = await admin.call('GET', `/api/audit-events?objectType=seal&objectId=${seal.id}`);
    expect((audit.body as { items: { action: string }[] }).items.map((e) => e.action)).toEqual([
      'seal.reinstate',
      'seal.suspend',
    ]);
  });

  it('renews the certificate before expiry: same key, new serial, old documents still valid', async () => {
    const renewed = await admin.call('POST', `/api/seals/${seal.id}/certificate-renewal`);
    expect(renewed.status).toBe(200);
    const body = renewed.body as SealBody;
    expect(body.certificateSerial).not.toBe(seal.certificateSerial);
    expect(new Date(body.notAfter).getTime()).toBeGreaterThanOrEqual(new Date(seal.notAfter).getTime());
    const file = await issue('after-renewal');
    expect(await sealSerialIn(file)).toBe(body.certificateSerial);
    const nss = trustingNssDatabase(rootDer);
    for (const name of ['before-suspension', 'after-renewal']) {
      expect((await pdfsig(files[name], nss.dir)).map((s) => [s.valid, s.trusted])).toEqual([
        [true, true],
        [true, true],
      ]);
    }
    nss.dispose();
    seal = body;
  });

  it('rotates the key: documents signed before still verify, new ones carry the new certificate', async () => {
    const old = await issue('before-rotation');
    const rotated = await admin.call('POST', `/api/seals/${seal.id}/key-rotation`, {});
    expect(rotated.status).toBe(200);
    const body = rotated.body as SealBody;
    expect(body.certificateSerial).not.toBe(seal.certificateSerial);
    const certificates = (await admin.call('GET', `/api/seals/${seal.id}/certificates`)).body as SealCertificateBody[];
    expect(certificates.map((c) => [c.serial, c.current])).toEqual(
      expect.arrayContaining([
        [body.certificateSerial, true],
        [seal.certificateSerial, false],
      ]),
    );
    const keys = await sql.query<{ n: string }>(
      `SELECT count(DISTINCT key_id) AS n FROM seal_certificates WHERE seal_id = $1`,
      [seal.id],
    );
    expect(Number(keys.rows[0].n)).toBe(2);

    const fresh = await issue('after-rotation');
    expect(await sealSerialIn(fresh)).toBe(body.certificateSerial);
    expect(await sealSerialIn(old)).toBe(seal.certificateSerial);

    const nss = trustingNssDatabase(rootDer);
    for (const file of [old, fresh]) {
      expect((await pdfsig(file, nss.dir)).map((s) => [s.valid, s.trusted])).toEqual([
        [true, true],
        [true, true],
      ]);
      const check = await checkPdf(file);
      expect(check.status).toBe(200);
      expect(check.body).toMatchObject({ valid: true, reasons: [] });
      // The chain offered for download starts with the certificate that sealed this document.
      const chain = await request(system.api.baseUrl, (check.body as { chainUrl: string }).chainUrl);
      expect(chain.status).toBe(200);
      const first = new X509Certificate(chain.text);
      expect(first.serialNumber.toLowerCase()).toBe(await sealSerialIn(file));
    }
    nss.dispose();
    seal = body;
  });

  it('refuses a signature that claims a time when its seal was suspended', async () => {
    // As if the key had signed while the seal was suspended (a copy of the key used outside the
    // platform): the history says suspended around the signature's claimed time.
    const file = files['before-suspension'];
    const check = async () =>
      (await checkPdf(file)).body as {
        valid: boolean;
        reasons: string[];
        signatures: { seal: { atSigning: { status: string } } | null }[];
      };
    expect((await check()).reasons).toEqual([]);
    const signed = await sql.query<{ signed_at: Date; seal_id: string }>(
      `SELECT c.signed_at, c.seal_id FROM certificates c ORDER BY c.signed_at ASC LIMIT 1`,
    );
    const { signed_at: signedAt, seal_id: sealId } = signed.rows[0];
    const inserted = await sql.query<{ id: string }>(
      `INSERT INTO seal_status_events (seal_id, action, status, reason, occurred_at)
       VALUES ($1, 'suspend', 'suspended', '测试：签名时已暂停', $2), ($1, 'reinstate', 'active', NULL, $3) RETURNING id`,
      // The PDF states its signing time in whole seconds: a second either side covers it.
      [sealId, new Date(signedAt.getTime() - 1000), new Date(signedAt.getTime() + 1000)],
    );
    try {
      const verdict = await check();
      expect(verdict.valid).toBe(false);
      expect(verdict.reasons).toEqual(['seal_not_in_force_at_signing']);
      expect(verdict.signatures[0].seal?.atSigning.status).toBe('suspended');
    } finally {
      await sql.query(`DELETE FROM seal_status_events WHERE id = ANY($1::uuid[])`, [inserted.rows.map((r) => r.id)]);
    }
  });

  it('revokes for good: the CRL lists the seal with its reason, openssl verifies it, pdfsig reports revoked', async () => {
    const signed = files['after-rotation'];
    const revoked = await admin.call('POST', `/api/seals/${seal.id}/revocation`, {
      reason: '村委会撤并',
      code: 'cessationOfOperation',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', statusReason: '村委会撤并' });
    const again = await admin.call('POST', `/api/seals/${seal.id}/reinstatement`, {});
    expect(again.status).toBe(409);
    expect((again.body as { code: string }).code).toBe('SEAL_ALREADY_REVOKED');

    // The CRL's address is the one written in the seal's certificate.
    const certificate = new X509Certificate(
      (await sql.query<{ certificate_der: Buffer }>(`SELECT certificate_der FROM seals WHERE id = $1`, [seal.id]))
        .rows[0].certificate_der,
    );
    const dump = spawnSync('openssl', ['x509', '-text', '-noout'], { input: certificate.toString(), encoding: 'utf8' });
    const crlUrl = /URI:(\S+\.crl)/.exec(dump.stdout)![1];
    expect(crlUrl.startsWith(`${system.api.baseUrl}/pki/crl/`)).toBe(true);
    const response = await fetch(crlUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pkix-crl');
    const crlFile = join(work, 'issuing.crl');
    await writeFile(crlFile, Buffer.from(await response.arrayBuffer()));
    const caFile = join(work, 'issuing.pem');
    await writeFile(caFile, new X509Certificate(issuingDer).toString());

    const text = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-text', '-noout'], {
      encoding: 'utf8',
    }).stdout;
    expect(text).toContain(`Serial Number: ${seal.certificateSerial.toUpperCase()}`);
    expect(text).toContain('Cessation Of Operation');
    const verified = spawnSync(
      'openssl',
      ['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', caFile, '-verify', '-noout'],
      {
        encoding: 'utf8',
      },
    );
    expect(`${verified.status}:${verified.stderr.trim()}`).toBe('0:verify OK');

    // A relying party with the district root and the CRL imported into its NSS database (crlutil).
    const nss = trustingNssDatabase(rootDer);
    execCertutil(['-A', '-n', 'district-issuing', '-t', ',,', '-i', caFile, '-d', `sql:${nss.dir}`]);
    const imported = spawnSync('crlutil', ['-I', '-i', crlFile, '-t', '1', '-d', `sql:${nss.dir}`], {
      encoding: 'utf8',
    });
    expect(`${imported.status}:${imported.stderr}`).toBe('0:');
    const [sealSignature, approverSignature] = await pdfsig(signed, nss.dir);
    expect(sealSignature.certificateValidation).toBe('Certificate has been Revoked.');
    expect(approverSignature.certificateValidation).toBe('Certificate is Trusted.');
    nss.dispose();

    // Our PDF check and the certificate's verification show the seal's state when it signed and now.
    const check = await checkPdf(signed);
    const verdict = check.body as {
      valid: boolean;
      signatures: { certificateSerial: string; seal: unknown }[];
      certificate: { seal: unknown };
    };
    const sealView = {
      code: seal.code,
      atSigning: { status: 'active' },
      now: { status: 'revoked', reason: '村委会撤并' },
    };
    expect(verdict.signatures[0]).toMatchObject({ certificateSerial: seal.certificateSerial, seal: sealView });
    expect(verdict.signatures[1].seal).toBeNull();
    expect(verdict.certificate.seal).toMatchObject({ ...sealView, certificateSerial: seal.certificateSerial });
    // Sealed while the seal was in force, by the platform: the document itself stays valid.
    expect(verdict.valid).toBe(true);

    // And the committee issues nothing more under this seal.
    const draft = await preparedDraft(resident, 'weather');
    await resident.action(draft.id, 'submit');
    await approver.action(draft.id, 'approve', { comment: '同意' });
    const deadline = Date.now() + 30_000;
    let lastError = '';
    while (!lastError && Date.now() < deadline) {
      const rows = await sql.query<{ last_error: string | null }>(
        `SELECT last_error FROM outbox WHERE topic = 'certificate.issue' AND aggregate_id = $1`,
        [draft.id],
      );
      lastError = rows.rows[0]?.last_error ?? '';
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(lastError).toBe('该电子印章已注销，不能再用印');
    expect((await resident.call('GET', `/api/applications/${draft.id}`)).body).toMatchObject({ status: 'approved' });

    // The committee's next seal generation: the waiting application is issued under it at once.
    const successor = await admin.call('POST', `/api/seals/${seal.id}/successor`);
    expect(successor.status).toBe(201);
    const next = successor.body as SealBody;
    expect(next).toMatchObject({ status: 'active', code: `${seal.code.slice(0, 12)}2` });
    await waitForStatus(resident, draft.id, 'issued');
    const issuedBody = (await resident.call('GET', `/api/applications/${draft.id}/certificate`)).body as {
      downloadUrl: string;
    };
    const download = await fetch(`${system.api.baseUrl}${issuedBody.downloadUrl}`, {
      headers: { authorization: `Bearer ${resident.token}` },
    });
    const pdf = Buffer.from(await download.arrayBuffer());
    const file = join(work, 'successor.pdf');
    await writeFile(file, pdf);
    expect(await sealSerialIn(file)).toBe(next.certificateSerial);
    const repeated = await admin.call('POST', `/api/seals/${seal.id}/successor`);
    expect(repeated.status).toBe(409);
    expect((repeated.body as { code: string }).code).toBe('SEAL_STATUS_CONFLICT');
  });
});

function execCertutil(args: string[]): void {
  const result = spawnSync('certutil', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`certutil ${args.join(' ')}: ${result.stderr}`);
}
