import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInInBrowser } from './support/browser';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

/**
 * The web app in real Chromium (Debian's, never a downloaded one) on a phone-sized screen: signing in
 * through the identity platform's own page and landing on the masked identity and the staff desk.
 */
describe('web app in Chromium (375×812)', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;

  beforeAll(async () => {
    db = await createTestDatabase('web');
    system = await startSystem({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await db?.drop();
  });

  const signIn = (page: Page, username: string, startAt: string) => signInInBrowser(page, system, username, startAt);

  it('a resident signs in and sees their identity masked on 我的', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await signIn(page, 'resident-a', '/me');
    await page.waitForURL(`${system.api.baseUrl}/me`);
    await expect(page.getByTestId('me-name').textContent()).resolves.toContain('李*梅');
    await expect(page.getByTestId('me-id-number').textContent()).resolves.toContain('4401**********0125');
    await expect(page.getByTestId('me-phone').textContent()).resolves.toContain('138****8101');
    const text = await page.locator('body').innerText();
    expect(text).not.toContain('440118198503120125');
    expect(text).not.toContain('13800138101');
    // The session lives in httpOnly cookies: nothing for a script on the page to steal.
    expect(await page.evaluate<string>('document.cookie')).not.toContain('zm_');
    expect((await context.cookies()).find((cookie) => cookie.name === 'zm_at')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    });

    await page.getByTestId('logout-button').click();
    await page.waitForURL(/\/login/);
    await page.goto(`${system.api.baseUrl}/me`);
    await page.waitForURL(/\/login/);
    await context.close();
  });

  it('a committee clerk lands on the staff desk showing their committee and role', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await signIn(page, 'clerk-a', '/staff');
    await page.waitForURL(`${system.api.baseUrl}/staff`);
    await expect(page.getByTestId('staff-org-name').first().textContent()).resolves.toContain('城南社区居民委员会');
    await expect(page.getByTestId('staff-role').first().textContent()).resolves.toContain('经办人');
    await context.close();
  });

  it('a wrong password stays on the identity platform with its message', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
    const page = await context.newPage();
    await page.goto(`${system.api.baseUrl}/login`);
    await page.getByTestId('login-button').click();
    await page.waitForURL(`${system.idp.issuer}/**`);
    await page.locator('input[name="username"]').fill('resident-b');
    await page.locator('input[name="password"]').fill('wrong-password');
    await page.locator('form button, form input[type="submit"]').first().click();
    await expect(page.locator('body').innerText()).resolves.toContain('用户名或密码错误');
    await context.close();
  });
});
