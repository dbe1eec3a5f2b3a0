import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium, signInInBrowser } from './support/browser';
import { emptyNssDatabase, pdfsig } from './support/pdf-tools';
import { ROOT } from './support/test-app';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { TEST_SECRETS } from './support/test-secrets';
import { startSystem, type RunningSystem } from './support/test-system';

const ARTIFACTS = join(ROOT, 'test-artifacts', 'workflow-web');
const FULL_ID_NUMBER = '440118198503120125';
const MASKED_ID_NUMBER = '4401**********0125';
const FULL_PHONE = '13800138101';
const ADDRESS = '广州市增城区荔城街道城南社区府佑路8号';
const COMMITTEE = '城南社区居民委员会';
const SUPPLEMENT_REASON = '身份证照片不清晰，请重新拍摄人像面';
/** Committee A's code, 气象证明's code, the year, the serial and the check characters. */
const CERTIFICATE_NUMBER = /^440118001001-WT-\d{4}-\d{6}-[0-9A-Z]{2}$/;
/** Run in the page (as text: the tests compile without the DOM types): every material preview image has loaded. */
const PREVIEWS_LOADED = `(() => {
  const images = [...document.querySelectorAll('[data-testid="material-preview-image"]')];
  return images.length > 0 && images.every((image) => image.complete && image.naturalWidth > 0);
})()`;

/**
 * One application clicked through in real Chromium (Debian's) at phone size, by three people in
 * their own browsers: resident-a applies for 气象证明 and uploads a photo of their ID card, clerk-a
 * accepts it and asks for a clearer photo, resident-a answers from the notification, clerk-a sees
 * what changed, approver-a approves, and resident-a sees 出证中. With REDIS_URL set the API runs no
 * jobs itself: only once the real worker process starts is the certificate signed, and resident-a
 * downloads it.
 */
describe('application workflow in Chromium (390×844)', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;
  let files: string;
  /** The API's and the worker's file storage: the worker stores the PDF the API then serves. */
  let storage: string;
  let worker: ChildProcess | undefined;
  let workerOutput = '';
  const contexts: BrowserContext[] = [];

  let resident: Page;
  let clerk: Page;
  let applicationId = '';
  let referenceNo = '';

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    files = mkdtempSync(join(tmpdir(), 'zm-workflow-web-'));
    storage = mkdtempSync(join(tmpdir(), 'zm-workflow-web-storage-'));
    db = await createTestDatabase('workflow_web');
    system = await startSystem({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, STORAGE_LOCAL_DIR: storage });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await stopWorker();
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await system?.stop();
    await db?.drop();
    if (files) rmSync(files, { recursive: true, force: true });
    if (storage) rmSync(storage, { recursive: true, force: true });
  }, 30_000);

  /**
   * The built worker as `npm run start:worker` runs it, on the API's database, Redis and storage.
   * The promise fails with what it printed if it exits, so a worker that cannot start fails the test at once.
   */
  function startWorker(): Promise<never> {
    const child = spawn(process.execPath, [join(ROOT, 'dist/apps/worker/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...TEST_SECRETS,
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        // Its queue is this test's alone: no other test's worker can take the job.
        REDIS_KEY_PREFIX: `test-wweb-${db.name.slice(-8)}`,
        STORAGE_LOCAL_DIR: storage,
        // The QR code on the certificate points at the API the test started.
        PUBLIC_BASE_URL: system.api.baseUrl,
        TSA_URL: system.tsa!.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker = child;
    child.stdout?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    return new Promise<never>((_resolve, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`the worker exited (${code ?? signal}):\n${workerOutput}`)),
      ),
    );
  }

  /** SIGTERM lets it close its connections; one that has not gone within 10 s is killed. */
  async function stopWorker(): Promise<void> {
    const child = worker;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  const url = (path: string) => `${system.api.baseUrl}${path}`;

  async function newPhone(): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
    });
    context.setDefaultTimeout(20_000);
    contexts.push(context);
    return context.newPage();
  }

  const signIn = (page: Page, username: string, startAt: string) => signInInBrowser(page, system, username, startAt);

  async function screenshot(page: Page, step: string, fullPage = true): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${step}.png`), fullPage });
  }

  async function png(name: string, background: string): Promise<string> {
    const path = join(files, name);
    writeFileSync(
      path,
      await sharp({ create: { width: 800, height: 600, channels: 3, background } })
        .png()
        .toBuffer(),
    );
    return path;
  }

  /** The text box inside a generated form field. */
  function input(page: Page, field: string): Locator {
    return page.getByTestId(`form-field-${field}`).locator('input, textarea').first();
  }

  async function fillIfEmpty(page: Page, field: string, value: string): Promise<string> {
    const box = input(page, field);
    const current = await box.inputValue();
    if (current.trim() === '') await box.fill(value);
    return current;
  }

  /** Reloads `page` until `locator` shows up (something another person did may take a moment). */
  async function reloadUntilVisible(page: Page, locator: Locator, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await locator.first().waitFor({ state: 'visible', timeout: 2_000 });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await page.reload();
      }
    }
  }

  async function waitForText(locator: Locator, expected: string | RegExp): Promise<string> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const text = (await locator.innerText().catch(() => '')).trim();
      if (typeof expected === 'string' ? text.includes(expected) : expected.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`expected ${String(expected)}, saw "${text}"`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('resident-a chooses 气象证明 and finds the committee by address', async () => {
    resident = await newPhone();
    await signIn(resident, 'resident-a', '/apply');

    const weather = resident.getByTestId('type-weather');
    await expect(weather.getByTestId('type-name').innerText()).resolves.toBe('气象证明');
    await expect(weather.getByTestId('type-time-limit').innerText()).resolves.toContain('承诺时限 3 个工作日');
    await expect(resident.getByTestId('tab-apply').innerText()).resolves.toContain('办事');
    await screenshot(resident, '01-resident-apply');

    await weather.click();
    await resident.waitForURL(url('/apply/weather'));
    await waitForText(resident.getByTestId('apply-type-name'), '气象证明');
    await resident.getByTestId('address-input').locator('textarea').fill(ADDRESS);
    await resident.getByTestId('address-lookup-button').click();
    const candidate = resident.getByTestId('committee-candidate').filter({ hasText: COMMITTEE });
    await candidate.waitFor();
    await candidate.click();
    await waitForText(resident.getByTestId('selected-committee'), COMMITTEE);
    await expect(resident.getByTestId('create-application-button').isEnabled()).resolves.toBe(true);
    await screenshot(resident, '02-resident-committee');

    await resident.getByTestId('create-application-button').click();
    await resident.waitForURL(/\/applications\/[0-9a-f-]{36}\/edit$/);
    applicationId = /\/applications\/([0-9a-f-]{36})\/edit$/.exec(resident.url())![1];
    await waitForText(resident.getByTestId('edit-committee'), COMMITTEE);
  }, 90_000);

  it('resident-a fills the form, uploads the ID card photo and submits', async () => {
    await input(resident, 'applicantName').waitFor();
    await fillIfEmpty(resident, 'applicantName', '李春梅');
    // Prefilled from the identity platform, shown masked; sent back unchanged it keeps the stored value.
    const idNumber = await fillIfEmpty(resident, 'idNumber', FULL_ID_NUMBER);
    if (idNumber) expect(idNumber).toBe(MASKED_ID_NUMBER);
    await fillIfEmpty(resident, 'phone', FULL_PHONE);
    await resident.getByTestId('form-field-eventDate').locator('input[type="date"]').fill('2025-06-14');
    // Too short: saving the draft shows the API's problem next to the field.
    await input(resident, 'eventPlace').fill('城南');
    await resident.getByTestId('save-draft-button').click();
    await waitForText(resident.getByTestId('form-field-eventPlace').locator('.van-field__error-message'), /\S/);
    await input(resident, 'eventPlace').fill('广州市增城区荔城街道城南社区府佑路8号仓库');
    await resident.getByTestId('form-field-eventKind').getByText('暴雨', { exact: true }).click();
    await input(resident, 'eventDescription').fill(
      '当日凌晨2时至6时持续强降雨，仓库周边道路积水约40厘米，雨水倒灌入仓库，约120箱货物被浸泡损毁。',
    );
    await input(resident, 'purpose').fill('向保险公司申请财产损失理赔');

    const idCard = resident.getByTestId('material-applicant-id-card');
    await expect(idCard.getByTestId('material-input').getAttribute('accept')).resolves.toBe('image/*,application/pdf');
    await expect(idCard.getByTestId('material-input').getAttribute('capture')).resolves.toBeNull();
    await expect(
      resident.getByTestId('material-site-photos').getByTestId('material-input').getAttribute('accept'),
    ).resolves.toBe('image/*');
    await idCard.getByTestId('material-input').setInputFiles(await png('id-card-front.png', '#c33'));
    await waitForText(idCard.getByTestId('material-item').first(), 'id-card-front.png');
    await expect(idCard.getByTestId('upload-progress').count()).resolves.toBe(0);
    await expect(idCard.getByTestId('upload-error').count()).resolves.toBe(0);
    await expect(idCard.getByTestId('material-item').first().innerText()).resolves.toMatch(/\d+(\.\d)? (B|KB)/);
    await screenshot(resident, '03-resident-form');

    await resident.getByTestId('submit-button').click();
    await resident.waitForURL(url(`/applications/${applicationId}`));
    await waitForText(resident.getByTestId('application-status'), '已提交');
    referenceNo = (await resident.getByTestId('application-reference').innerText()).trim();
    expect(referenceNo).not.toBe('');
    await expect(resident.getByTestId('timeline').innerText()).resolves.toContain('提交申请');
    await expect(resident.getByTestId('withdraw-button').isVisible()).resolves.toBe(true);
    await screenshot(resident, '04-resident-submitted');

    await resident.goto(url('/applications'));
    const mine = resident.getByTestId('application-item').filter({ hasText: referenceNo });
    await mine.waitFor();
    await expect(mine.innerText()).resolves.toContain('气象证明');
    await expect(mine.innerText()).resolves.toContain(COMMITTEE);
  }, 90_000);

  it('clerk-a sees it in 待办 with the time left, previews the photo and asks for a clearer one', async () => {
    clerk = await newPhone();
    await signIn(clerk, 'clerk-a', '/queue');
    const item = clerk.getByTestId('queue-item').filter({ hasText: referenceNo });
    await item.waitFor();
    await expect(item.getByTestId('queue-item-type').innerText()).resolves.toBe('气象证明');
    await expect(item.getByTestId('queue-item-applicant').innerText()).resolves.toBe('李*梅');
    await expect(item.getByTestId('clock-remaining').innerText()).resolves.toMatch(/^剩余 \d+ 个工作日$/);
    await expect(item.getByTestId('clock-due').innerText()).resolves.toMatch(/办结期限 \d{4}-\d{2}-\d{2}/);
    await expect(clerk.getByTestId('tab-queue').innerText()).resolves.toContain('待办');
    await screenshot(clerk, '05-clerk-queue');

    await item.click();
    await clerk.waitForURL(url(`/review/${applicationId}`));
    await expect(clerk.getByTestId('review-applicant').innerText()).resolves.toBe('李*梅');
    await expect(clerk.getByTestId('review-committee').innerText()).resolves.toBe(COMMITTEE);
    await expect(clerk.getByTestId('answer-idNumber').innerText()).resolves.toContain(MASKED_ID_NUMBER);
    await expect(clerk.getByTestId('answer-eventKind').innerText()).resolves.toContain('暴雨');
    await expect(clerk.getByTestId('answer-eventKind').innerText()).resolves.toContain('天气事件类型');
    await clerk.waitForFunction(PREVIEWS_LOADED);
    await expect(
      clerk.evaluate<number>(`document.querySelector('[data-testid="material-preview-image"]').naturalWidth`),
    ).resolves.toBe(800);
    const page = await clerk.locator('body').innerText();
    expect(page).not.toContain(FULL_ID_NUMBER);
    expect(page).not.toContain(FULL_PHONE);
    await screenshot(clerk, '06-clerk-review');

    await clerk.getByTestId('accept-button').click();
    await waitForText(clerk.getByTestId('review-status'), '审核中');
    await clerk.getByTestId('request-supplement-button').click();
    const dialog = clerk.getByTestId('supplement-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('supplement-option-applicant-id-card').click();
    await dialog.getByTestId('supplement-reason-applicant-id-card').locator('textarea').fill(SUPPLEMENT_REASON);
    await screenshot(clerk, '07-clerk-supplement-dialog', false);
    await dialog.getByTestId('supplement-confirm-button').click();
    await waitForText(clerk.getByTestId('review-status'), '待补齐材料');
    await expect(clerk.getByTestId('review-clock').innerText()).resolves.toContain('暂停计时（待补齐）');
  }, 90_000);

  it('resident-a follows the notification, uploads a new photo and resubmits', async () => {
    await resident.goto(url('/notifications'));
    const unread = resident.locator('[data-testid="notification-item"][data-unread="true"]');
    await reloadUntilVisible(resident, unread);
    await waitForText(resident.getByTestId('tab-notifications').locator('.van-badge'), /^\d+$/);
    await screenshot(resident, '08-resident-notifications');

    await unread.first().click();
    await resident.waitForURL(url(`/applications/${applicationId}`));
    const request = resident.getByTestId('supplement-request');
    await request.waitFor();
    await expect(request.getByTestId('supplement-item').innerText()).resolves.toContain('申请人居民身份证');
    await expect(request.getByTestId('supplement-reason').innerText()).resolves.toBe(SUPPLEMENT_REASON);
    await waitForText(resident.getByTestId('application-status'), '待补齐材料');
    await screenshot(resident, '09-resident-supplement-request');

    await resident.getByTestId('go-supplement-button').click();
    await resident.waitForURL(url(`/applications/${applicationId}/supplement`));
    await expect(resident.getByTestId('supplement-request').innerText()).resolves.toContain(SUPPLEMENT_REASON);
    const idCard = resident.getByTestId('material-applicant-id-card');
    // A slow uplink (DevTools network emulation) keeps the upload on screen long enough to see its progress.
    const devtools = await resident.context().newCDPSession(resident);
    await devtools.send('Network.enable');
    await devtools.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 4 * 1024,
    });
    await idCard.getByTestId('material-input').setInputFiles(await png('id-card-retake.png', '#36c'));
    const progress = idCard.getByTestId('upload-progress');
    await waitForText(progress, /id-card-retake\.png[\s\S]*正在上传 \d+%/);
    await screenshot(resident, '10-resident-upload-progress', false);
    await devtools.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await waitForText(
      idCard.getByTestId('material-item').filter({ hasText: 'id-card-retake.png' }),
      'id-card-retake.png',
    );
    await expect(idCard.getByTestId('material-new').count()).resolves.toBeGreaterThanOrEqual(1);
    await expect(progress.count()).resolves.toBe(0);
    await screenshot(resident, '11-resident-supplement-page');

    await resident.getByTestId('resubmit-button').click();
    await resident.waitForURL(url(`/applications/${applicationId}`));
    await waitForText(resident.getByTestId('application-status'), '审核中');
  }, 90_000);

  it('clerk-a sees 本轮变更 marking the new photo', async () => {
    await clerk.reload();
    const changes = clerk.getByTestId('changes-since-last-round');
    await changes.waitFor();
    await expect(changes.innerText()).resolves.toContain('本轮变更');
    await expect(changes.innerText()).resolves.toContain('新上传材料 1 份');
    const fresh = clerk.locator('[data-testid="review-material"][data-new="true"]');
    await expect(fresh.count()).resolves.toBe(1);
    await expect(fresh.innerText()).resolves.toContain('id-card-retake.png');
    await expect(fresh.getByTestId('material-new-badge').innerText()).resolves.toBe('新');
    await expect(clerk.locator('[data-testid="review-material"][data-new="false"]').innerText()).resolves.toContain(
      'id-card-front.png',
    );
    await clerk.waitForFunction(PREVIEWS_LOADED);
    expect(await clerk.locator('body').innerText()).not.toContain(FULL_ID_NUMBER);
    await screenshot(clerk, '12-clerk-review-changes');
    // Approving is the approver's: the clerk is not offered it.
    await expect(clerk.getByTestId('approve-button').count()).resolves.toBe(0);
  }, 60_000);

  it('approver-a approves and resident-a sees 出证中', async () => {
    const approver = await newPhone();
    await signIn(approver, 'approver-a', `/review/${applicationId}`);
    await approver.getByTestId('approve-button').click();
    const dialog = approver.getByTestId('approve-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('approve-comment').locator('textarea').fill('材料齐全，同意出具');
    await dialog.getByTestId('approve-confirm-button').click();
    await waitForText(approver.getByTestId('review-status'), '出证中');
    await screenshot(approver, '13-approver-approved');

    await resident.goto(url(`/applications/${applicationId}`));
    const awaiting = resident.getByTestId('awaiting-issue');
    await awaiting.waitFor();
    await expect(awaiting.innerText()).resolves.toContain('出证中');
    await expect(resident.getByTestId('application-status').innerText()).resolves.toBe('出证中');
    await expect(resident.getByTestId('withdraw-button').count()).resolves.toBe(0);
    await screenshot(resident, '14-resident-awaiting-issue');
  }, 90_000);

  it('once the worker runs, resident-a sees 已出证 and downloads the signed PDF', async () => {
    const workerExit = startWorker();
    const certificate = resident.getByTestId('certificate');
    await Promise.race([
      workerExit,
      reloadUntilVisible(resident, certificate, 60_000).catch((error: unknown) => {
        throw new Error(`no certificate on the page (${String(error)}); the worker printed:\n${workerOutput}`);
      }),
    ]);
    await expect(resident.getByTestId('application-status').innerText()).resolves.toBe('已出证');
    await expect(certificate.innerText()).resolves.toContain('电子证明已出具');
    await expect(resident.getByTestId('awaiting-issue').count()).resolves.toBe(0);
    const number = (await certificate.getByTestId('certificate-number').innerText()).trim();
    expect(number).toMatch(CERTIFICATE_NUMBER);
    await screenshot(resident, '15-resident-issued');

    const [download] = await Promise.all([
      resident.waitForEvent('download'),
      certificate.getByTestId('certificate-download').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${number}.pdf`);
    const file = join(files, download.suggestedFilename());
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Sealed by the committee, then signed by the approver; an empty trust store still checks both.
    const nss = emptyNssDatabase();
    try {
      const signatures = await pdfsig(file, nss.dir);
      expect(signatures.map((signature) => signature.validation)).toEqual([
        'Signature is Valid.',
        'Signature is Valid.',
      ]);
    } finally {
      nss.dispose();
    }
  }, 120_000);
});
