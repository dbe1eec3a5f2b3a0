import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { launchChromium, signInInBrowser } from './support/browser';
import { ROOT } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

const ARTIFACTS = join(ROOT, 'test-artifacts', 'seals-web');
const SEAL_NAME = '荔城街道城南社区居民委员会';
const SEAL_CODE = '4401180010011';
const FORBIDDEN = '您没有执行此操作的权限';

const SCREENS: readonly { name: string; options: BrowserContextOptions }[] = [
  { name: 'desktop', options: { viewport: { width: 1280, height: 800 } } },
  {
    name: 'phone',
    options: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  },
];

/**
 * 印章管理 in real Chromium: the district admin reaches the registry of the 366 committee seals from
 * 工作台, narrows it, and opens one seal with its certificate and (on a fresh system, empty) usage log;
 * a committee clerk gets the API's refusal instead of a list.
 */
describe('seal registry in Chromium', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase('seals_web');
    system = await startSystem({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await db?.drop();
  });

  const url = (path: string) => `${system.api.baseUrl}${path}`;

  async function open(options: BrowserContextOptions): Promise<Page> {
    const context = await browser.newContext({ ...options, locale: 'zh-CN' });
    context.setDefaultTimeout(20_000);
    return context.newPage();
  }

  const signIn = (page: Page, username: string, startAt: string) => signInInBrowser(page, system, username, startAt);

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  /** Waits until the element reads `text` (a list replaced after a search or filter takes a moment). */
  async function waitForText(page: Page, testId: string, text: string): Promise<void> {
    await page.getByTestId(testId).filter({ hasText: text }).waitFor();
  }

  it.each(SCREENS)(
    'the district admin goes from 工作台 to 城南社区’s seal and its empty usage log ($name)',
    async ({ name, options }) => {
      const page = await open(options);
      try {
        await signIn(page, 'admin', '/staff');
        await page.getByTestId('seals-link').waitFor();
        await screenshot(page, `00-staff-${name}`);
        await page.getByTestId('seals-link').click();
        await page.waitForURL(url('/admin/seals'));
        await waitForText(page, 'seals-total', '共 366 枚');
        const rows = page.getByTestId('seal-row');
        await expect(rows.count()).resolves.toBe(20);
        const first = rows.first();
        await expect(first.getByTestId('seal-status').innerText()).resolves.toBe('启用');
        await expect(first.getByTestId('seal-code').innerText()).resolves.toMatch(/^\d{13}$/);
        await expect(first.getByTestId('seal-not-after').innerText()).resolves.toMatch(
          /^证书有效期至 \d{4}-\d{2}-\d{2}$/,
        );
        await expect(first.getByTestId('seal-algorithm').innerText()).resolves.toMatch(/\S/);
        await expect(page.getByTestId('load-more-button').isVisible()).resolves.toBe(true);
        await screenshot(page, `01-registry-${name}`);

        await page.getByTestId('seals-filter-suspended').click();
        await waitForText(page, 'seals-total', '共 0 枚');
        await page.getByTestId('seals-empty').waitFor();
        await page.getByTestId('seals-filter-all').click();
        await waitForText(page, 'seals-total', '共 366 枚');

        const search = page.getByTestId('seals-search').locator('input');
        await search.fill('城南社区');
        await search.press('Enter');
        await waitForText(page, 'seals-total', '共 1 枚');
        await expect(rows.count()).resolves.toBe(1);
        await expect(rows.getByTestId('seal-name').innerText()).resolves.toBe(SEAL_NAME);
        await expect(rows.getByTestId('seal-code').innerText()).resolves.toBe(SEAL_CODE);
        await expect(page.getByTestId('load-more-button').count()).resolves.toBe(0);
        await screenshot(page, `02-search-${name}`);

        await rows.click();
        await page.waitForURL(/\/admin\/seals\/[0-9a-f-]{36}$/);
        await expect(page.getByTestId('seal-name').innerText()).resolves.toBe(SEAL_NAME);
        await expect(page.getByTestId('seal-status').innerText()).resolves.toBe('启用');
        await expect(page.getByTestId('seal-code').innerText()).resolves.toBe(SEAL_CODE);
        await expect(page.getByTestId('seal-serial').innerText()).resolves.toMatch(/^[0-9A-F]{2}( [0-9A-F]{2})+$/);
        await expect(page.getByTestId('seal-validity').innerText()).resolves.toMatch(
          /\d{4}-\d{2}-\d{2} 至 \d{4}-\d{2}-\d{2}/,
        );
        const uses = page.getByTestId('seal-uses');
        await expect(uses.getByTestId('seal-uses-total').innerText()).resolves.toBe('共 0 次');
        await expect(uses.getByTestId('seal-uses-empty').isVisible()).resolves.toBe(true);
        await expect(uses.getByTestId('seal-use-number').count()).resolves.toBe(0);
        await screenshot(page, `03-seal-${name}`);

        // Back in the registry, the search is still there.
        await page.locator('.van-nav-bar__left').click();
        await page.waitForURL(/\/admin\/seals\?q=/);
        await waitForText(page, 'seals-total', '共 1 枚');
        await expect(page.getByTestId('seals-search').locator('input').inputValue()).resolves.toBe('城南社区');
      } finally {
        await page.context().close();
      }
    },
    90_000,
  );

  it('a committee clerk has no link to it and, opening it anyway, sees a refusal instead of the list', async () => {
    const admin = await system.token('admin');
    const answer = await fetch(url(`/api/seals?q=${encodeURIComponent('城南社区')}`), {
      headers: { authorization: `Bearer ${admin}` },
    });
    const { items } = (await answer.json()) as { items: { id: string }[] };
    expect(items).toHaveLength(1);

    const page = await open(SCREENS[1].options);
    try {
      await signIn(page, 'clerk-a', '/staff');
      await page.getByTestId('staff-org-name').first().waitFor();
      await expect(page.getByTestId('seals-link').count()).resolves.toBe(0);

      await page.goto(url('/admin/seals'));
      await waitForText(page, 'seals-error', FORBIDDEN);
      await expect(page.getByTestId('seal-row').count()).resolves.toBe(0);
      await expect(page.getByTestId('seals-total').count()).resolves.toBe(0);
      await expect(page.getByTestId('seals-search').count()).resolves.toBe(0);
      await screenshot(page, '04-clerk-refused');

      await page.goto(url(`/admin/seals/${items[0].id}`));
      await waitForText(page, 'seal-error', FORBIDDEN);
      await expect(page.getByTestId('seal-name').count()).resolves.toBe(0);
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it('the district admin suspends, reinstates, renews and revokes a seal from its page, then issues its successor', async () => {
    const admin = await system.token('admin');
    const answer = await fetch(url(`/api/seals?q=${encodeURIComponent('新塘社区')}`), {
      headers: { authorization: `Bearer ${admin}` },
    });
    const [seal] = ((await answer.json()) as { items: { id: string; certificateSerial: string }[] }).items;

    const page = await open(SCREENS[1].options);
    try {
      await signIn(page, 'admin', `/admin/seals/${seal.id}`);
      await waitForText(page, 'seal-status', '启用');
      await expect(page.getByTestId('seal-reinstate-button').count()).resolves.toBe(0);

      // Suspending asks for the reason, and refuses to go on without one.
      await page.getByTestId('seal-suspend-button').click();
      await page.getByTestId('seal-reason-dialog').waitFor();
      await page.getByTestId('seal-reason-confirm-button').click();
      await page.getByTestId('seal-reason-dialog').getByText('请填写原因（2–200 字）').waitFor();
      await page.getByTestId('seal-reason').locator('textarea').fill('印章保管人员离职');
      await screenshot(page, '05-suspend-reason');
      await page.getByTestId('seal-reason-confirm-button').click();
      await waitForText(page, 'seal-status', '暂停使用');
      await waitForText(page, 'seal-status-reason', '暂停使用原因：印章保管人员离职');
      await screenshot(page, '06-suspended');

      await page.getByTestId('seal-reinstate-button').click();
      await page.locator('.van-dialog__confirm').click();
      await waitForText(page, 'seal-status', '启用');

      await page.getByTestId('seal-renew-button').click();
      await page.locator('.van-dialog__confirm').click();
      await page.getByText('印章证书已更新').waitFor();
      const serial = (await page.getByTestId('seal-serial').innerText()).replace(/ /g, '').toLowerCase();
      expect(serial).not.toBe(seal.certificateSerial);

      await page.getByTestId('seal-revoke-button').click();
      await page.getByTestId('seal-reason').locator('textarea').fill('村委会撤并');
      await page.getByTestId('seal-reason-confirm-button').click();
      await waitForText(page, 'seal-status', '已注销');
      // Nothing more can be done to a revoked seal.
      await expect(page.getByTestId('seal-suspend-button').count()).resolves.toBe(0);
      await expect(page.getByTestId('seal-renew-button').count()).resolves.toBe(0);
      await screenshot(page, '07-revoked');

      // …but its committee gets its next seal generation, on a page of its own.
      await page.getByTestId('seal-succeed-button').click();
      await page.locator('.van-dialog__confirm').click();
      await page.waitForURL(
        (address) => address.pathname.startsWith('/admin/seals/') && !address.pathname.endsWith(seal.id),
      );
      await waitForText(page, 'seal-code', '4401181000012');
      await waitForText(page, 'seal-status', '启用');
    } finally {
      await page.context().close();
    }
  }, 90_000);
});
