import { chromium, type Browser } from 'playwright-core';

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
