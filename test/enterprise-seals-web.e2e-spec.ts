import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { launchChromium, signInInBrowser } from './support/browser';
import { pdfsig, emptyNssDatabase } from './support/pdf-tools';
import { ROOT } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

const ARTIFACTS = join(ROOT, 'test-artifacts', 'enterprise-seals-web');
const ENTERPRISE_NAME = '广州增城示例科技有限公司';

/**
 * 企业电子印章 in real Chromium on a phone-sized screen: the legal representative applies, the district
 * admin approves, the legal representative names a user of the contract seal, the user seals a PDF and
 * downloads it (pdfsig: valid), and the legal representative sees the use in the log.
 */
describe('enterprise seals in Chromium', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase('enterprise_web');
    system = await startSystem({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await db?.drop();
  });

  async function as(username: string): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
      acceptDownloads: true,
    });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    await signInInBrowser(page, system, username, '/me/enterprise-seals');
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('apply, approve, name a user, seal a PDF and read the use log', async () => {
    const legal = await as('legal-rep-a');
    await legal.getByTestId('credit-code').locator('input').fill('91440118MA59C3KPXG');
    await legal.getByTestId('enterprise-name').locator('input').fill(ENTERPRISE_NAME);
    await legal.getByTestId('kind-official').click();
    await legal.getByTestId('kind-contract').click();
    await legal.getByTestId('apply-button').click();
    await legal.getByTestId('my-application').filter({ hasText: '待审核' }).waitFor();
    await shot(legal, '01-applied');

    const admin = await as('admin');
    const pending = admin.getByTestId('pending-application').filter({ hasText: ENTERPRISE_NAME });
    await pending.waitFor();
    await pending.getByTestId('approve-button').click();
    await admin.getByTestId('pending-applications').getByText('暂无待审核的申请').waitFor();

    await legal.reload();
    await legal.getByTestId('my-application').filter({ hasText: '已制发' }).waitFor();
    await expect(legal.getByTestId('enterprise-seal').count()).resolves.toBe(2);
    const contract = legal.locator('[data-testid="enterprise-seal"][data-kind="contract"]');
    await contract.getByTestId('user-name').locator('input').fill('林晓婷');
    await contract.getByTestId('user-id-number').locator('input').fill('440118199409230226');
    await contract.getByTestId('add-user').click();
    await contract.getByTestId('seal-user').filter({ hasText: '林*婷' }).waitFor();
    await shot(legal, '02-user-named');

    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    for (const n of [1, 2])
      doc.addPage([595.28, 841.89]).drawText(`Contract page ${n}`, { x: 60, y: 760, size: 16, font });
    const user = await as('seal-user-a');
    const usable = user.locator('[data-testid="enterprise-seal"][data-kind="contract"]');
    await usable.getByTestId('seal-file').setInputFiles({
      name: 'contract.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from(await doc.save()),
    });
    await usable.getByTestId('seal-page').locator('input').fill('2');
    await usable.getByTestId('seal-button').click();
    const link = usable.getByTestId('sealed-download');
    await link.waitFor();
    await shot(user, '03-sealed');
    const [download] = await Promise.all([user.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('contract-已盖章.pdf');
    const file = join(ARTIFACTS, 'sealed.pdf');
    await download.saveAs(file);
    const nss = emptyNssDatabase();
    try {
      const [signature] = await pdfsig(file, nss.dir);
      expect(signature).toMatchObject({
        signer: `${ENTERPRISE_NAME}合同专用章`,
        valid: true,
        totalDocumentSigned: true,
      });
    } finally {
      nss.dispose();
    }
    // The user may not use the official seal: it is not even offered to them.
    await expect(user.locator('[data-testid="enterprise-seal"][data-kind="official"]').count()).resolves.toBe(0);

    await contract.getByTestId('show-uses').click();
    await contract.getByTestId('use-entry').filter({ hasText: '林*婷' }).filter({ hasText: '第 2 页' }).waitFor();
    await shot(legal, '04-use-log');
  }, 120_000);
});
