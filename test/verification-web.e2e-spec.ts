import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ApiClient, issuedCertificate } from './support/applications';
import { launchChromium, signInInBrowser } from './support/browser';
import { qrCodesInImage, qrCodesOnPage } from './support/pdf-tools';
import { ROOT } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

jest.setTimeout(120_000);

const ARTIFACTS = join(ROOT, 'test-artifacts', 'verification-web');
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

interface Printed {
  applicationId: string;
  number: string;
  /** What the certificate's printed QR code holds (read from the PDF by zbarimg). */
  url: string;
  pdf: Buffer;
}

/**
 * The public verification page in real Chromium on a phone-sized screen: what a bank clerk sees after
 * scanning the printed QR for each status, typing the number by hand, uploading the PDF; and the
 * resident's presentation QR, read off the phone's screen by a real decoder and checked in the browser
 * with the network switched off.
 */
describe('verification page in Chromium', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;
  let resident: ApiClient;
  let valid: Printed;
  let revoked: Printed;
  let expired: Printed;

  async function issue(typeCode: string): Promise<Printed> {
    const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    const { application, pdf } = await issuedCertificate(resident, approver, typeCode);
    const file = join(ARTIFACTS, `${typeCode}.pdf`);
    writeFileSync(file, pdf);
    const [url] = await qrCodesOnPage(file, 150);
    return { applicationId: application.id, number: /\/v\/([0-9A-Z]+)\?/.exec(url)![1], url, pdf };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase('verification_web');
    system = await startSystem({ DATABASE_URL: db.url });
    browser = await launchChromium();
    resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    valid = await issue('weather');
    revoked = await issue('guardianship');
    expired = await issue('business-premises-use');
    const certificate = await resident.call('GET', `/api/applications/${revoked.applicationId}/certificate`);
    const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    const revocation = await approver.call(
      'POST',
      `/api/certificates/${(certificate.body as { id: string }).id}/revocation`,
      {
        reason: '监护关系已变更',
      },
    );
    expect(revocation.status).toBe(200);
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    await sql.query(
      `UPDATE certificates SET valid_until = now() - interval '1 day'
        WHERE application_id = $1`,
      [expired.applicationId],
    );
    await sql.end();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await db?.drop();
  });

  async function phone(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ ...PHONE, locale: 'zh-CN' });
    context.setDefaultTimeout(20_000);
    return { context, page: await context.newPage() };
  }

  async function verdictOf(page: Page): Promise<{ status: string | null; reason: string | null; text: string }> {
    const banner = page.getByTestId('verdict');
    await banner.waitFor();
    return {
      status: await banner.getAttribute('data-status'),
      reason: await banner.getAttribute('data-reason'),
      text: await page.locator('main, body').first().innerText(),
    };
  }

  it.each([
    ['valid', () => valid.url, '有效'],
    ['revoked', () => revoked.url, '已撤销'],
    ['expired', () => expired.url, '已过期'],
    ['unknown', () => valid.url.replace(/c=[0-9A-Z]{8}$/, 'c=ABCDEFGH'), '未找到'],
    ['unknown', () => valid.url.replace(/\/v\/\d{12}/, '/v/440118001002'), '未找到'],
  ])('shows %s for the QR %#', async (status, url, title) => {
    const { context, page } = await phone();
    await page.goto(url());
    const verdict = await verdictOf(page);
    expect(verdict.status).toBe(status);
    expect(await page.getByTestId('verdict-title').innerText()).toContain(title);
    if (status === 'unknown') {
      expect(verdict.text).toContain('未找到该证明，或校验码不正确');
      expect(verdict.text).not.toContain('城南社区居民委员会');
    } else {
      expect(verdict.text).toContain('城南社区居民委员会');
      expect(verdict.text).toMatch(/\d{4}\*{10}\d{3}[\dX]/);
      expect(await page.getByTestId('chain-download').count()).toBe(1);
    }
    if (status === 'revoked') expect(verdict.text).toContain('监护关系已变更');
    if (status !== 'unknown') {
      expect(await page.getByTestId('verify-seal-state').innerText()).toBe('出具印章：签章时及现在均为启用');
    }
    await page.screenshot({ path: join(ARTIFACTS, `qr-${status}-${Date.now()}.png`), fullPage: true });
    await context.close();
  });

  it('verifies a number and code typed by hand, and an uploaded PDF', async () => {
    const { context, page } = await phone();
    await page.goto(`${system.api.baseUrl}/v`);
    const code = /c=([0-9A-Z]{8})$/.exec(valid.url)![1];
    await page.getByTestId('verify-number').locator('input').fill(valid.number.toLowerCase());
    await page
      .getByTestId('verify-code')
      .locator('input')
      .fill(`${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase());
    await page.getByTestId('verify-submit').click();
    expect((await verdictOf(page)).status).toBe('valid');

    await page.goto(`${system.api.baseUrl}/v`);
    await page
      .getByTestId('pdf-input')
      .setInputFiles({ name: 'c.pdf', mimeType: 'application/pdf', buffer: valid.pdf });
    await page.getByTestId('pdf-verdict').waitFor();
    expect(await page.getByTestId('pdf-verdict').getAttribute('data-valid')).toBe('true');
    expect(await page.getByTestId('pdf-signature').count()).toBe(2);
    // Both signatures carry a valid time-stamp of the district's TSA, shown with its time.
    for (const text of await page.getByTestId('pdf-signature-timestamp').allInnerTexts()) {
      expect(text).toMatch(/^✓ \d{4}/);
    }
    expect(await page.getByTestId('pdf-signature-timestamp').count()).toBe(2);
    // The seal's signature says the seal's state then and now; the approver's personal one has no seal.
    expect(await page.getByTestId('pdf-signature-seal').allInnerTexts()).toEqual(['签章时及现在均为启用']);

    const tampered = Buffer.from(valid.pdf);
    tampered[tampered.indexOf('stream') + 20] ^= 0x01;
    await page.getByTestId('pdf-input').setInputFiles({ name: 't.pdf', mimeType: 'application/pdf', buffer: tampered });
    await page.locator('[data-testid="pdf-verdict"][data-valid="false"]').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'pdf-tampered.png'), fullPage: true });
    await context.close();
  });

  describe('the presentation QR, checked offline', () => {
    let token: string;

    beforeAll(async () => {
      // The resident opens their certificate and shows the QR; a real decoder reads it off the screen.
      const { context, page } = await phone();
      await signInInBrowser(page, system, 'resident-a', `/applications/${valid.applicationId}`);
      await page.getByTestId('presentation-button').click();
      const qr = page.getByTestId('presentation-qr');
      await qr.waitFor();
      const shot = join(ARTIFACTS, 'presentation-qr.png');
      await page.screenshot({ path: join(ARTIFACTS, 'presentation-screen.png') });
      await qr.screenshot({ path: shot });
      const [url] = await qrCodesInImage(shot);
      expect(url).toMatch(new RegExp(`^${system.api.baseUrl}/v#p=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
      token = url.split('#p=')[1];
      await context.close();
    });

    /** A verifier's phone that opened /v once while online, then lost its network. */
    async function offlineVerifier(): Promise<{ context: BrowserContext; page: Page }> {
      const verifier = await phone();
      await verifier.page.goto(`${system.api.baseUrl}/v`);
      await verifier.page
        .getByTestId('trust-list-status')
        .filter({ hasText: /已缓存|已更新|信任列表/ })
        .waitFor();
      await verifier.page.waitForFunction("localStorage.getItem('zm.trustList') !== null");
      await verifier.context.setOffline(true);
      return verifier;
    }

    async function checkPasted(page: Page, value: string) {
      await page.getByTestId('presentation-input').locator('textarea').fill(value);
      await page.getByTestId('presentation-submit').click();
      return verdictOf(page);
    }

    const part = (index: number) => token.split('.')[index];
    const claims = () => JSON.parse(Buffer.from(part(1), 'base64url').toString()) as Record<string, unknown>;

    it('accepts the QR shown by the holder, with no network', async () => {
      const { context, page } = await offlineVerifier();
      const verdict = await checkPasted(page, `${system.api.baseUrl}/v#p=${token}`);
      expect(verdict.status).toBe('valid');
      expect(verdict.text).toContain('城南社区居民委员会');
      expect(verdict.text).toContain(claims().sub as string);
      await page.screenshot({ path: join(ARTIFACTS, 'presentation-offline-valid.png'), fullPage: true });
      await context.close();
    });

    it('rejects it once expired', async () => {
      const { context, page } = await offlineVerifier();
      await page.clock.setFixedTime(new Date(((claims().exp as number) + 120) * 1000));
      const verdict = await checkPasted(page, token);
      expect([verdict.status, verdict.reason]).toEqual(['rejected', 'expired']);
      expect(verdict.text).toContain('出示码已过期');
      await context.close();
    });

    it('rejects a tampered claim', async () => {
      const { context, page } = await offlineVerifier();
      const forged = Buffer.from(JSON.stringify({ ...claims(), hn: '李*', st: 'valid' })).toString('base64url');
      const verdict = await checkPasted(page, `${part(0)}.${forged}.${part(2)}`);
      expect([verdict.status, verdict.reason]).toEqual(['rejected', 'bad_signature']);
      await context.close();
    });

    it('rejects a token signed by a key the trust list does not hold', async () => {
      const { context, page } = await offlineVerifier();
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const header = Buffer.from(
        JSON.stringify({ alg: 'ES256', kid: 'forger-key', typ: 'zm-presentation+jwt' }),
      ).toString('base64url');
      const input = `${header}.${part(1)}`;
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const verdict = await checkPasted(page, `${input}.${signature.toString('base64url')}`);
      expect([verdict.status, verdict.reason]).toEqual(['rejected', 'unknown_key']);
      await context.close();
    });
  });

  it('offers 出示证明 to the holder only, and 撤销证明 to the committee approver', async () => {
    const holder = await phone();
    await signInInBrowser(holder.page, system, 'resident-a', `/applications/${valid.applicationId}`);
    await holder.page.getByTestId('certificate').waitFor();
    expect(await holder.page.getByTestId('presentation-button').count()).toBe(1);
    expect(await holder.page.getByTestId('revoke-button').count()).toBe(0);
    await holder.context.close();

    const staff = await phone();
    await signInInBrowser(staff.page, system, 'approver-a', `/applications/${valid.applicationId}`);
    await staff.page.getByTestId('certificate').waitFor();
    expect(await staff.page.getByTestId('presentation-button').count()).toBe(0);
    expect(await staff.page.getByTestId('revoke-button').count()).toBe(1);
    await staff.context.close();
  });

  it('shows the holder who checked their certificates in 核验记录', async () => {
    const { context, page } = await phone();
    await signInInBrowser(page, system, 'resident-a', '/me/verifications');
    await page.getByTestId('verification-log-item').first().waitFor();
    const text = await page.locator('body').innerText();
    expect(text).toContain('匿名');
    expect(text).toContain('扫码核验');
    expect(await page.getByTestId('verification-log-item').count()).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: join(ARTIFACTS, 'holder-log.png'), fullPage: true });
    await context.close();
  });
});
