import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_SECRETS } from './test-secrets';
import type { RunningSystem } from './test-system';

/**
 * Debian's Chromium, headless, never a downloaded browser. The background-networking flags keep it
 * from calling Google's hosts, which this machine's closed network refuses many at a time.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Signs a seeded user in as a person would: open `startAt` in the app, 通过可信认证平台登录, fill in the
 * identity platform's own form with the test password, and wait to be brought back to `startAt`.
 */
export async function signInInBrowser(
  page: Page,
  system: Pick<RunningSystem, 'api' | 'idp'>,
  username: string,
  startAt: string,
): Promise<void> {
  await page.goto(`${system.api.baseUrl}${startAt}`);
  await page.getByTestId('login-button').click();
  await page.waitForURL(`${system.idp.issuer}/**`);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(TEST_SECRETS.IDP_SIM_PASSWORD);
  await page.locator('form button, form input[type="submit"]').first().click();
  await page.waitForURL(`${system.api.baseUrl}${startAt}`);
}
