import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deliverySignature } from '@zhengming/power-grid';
import { ApiClient, issuedCertificate } from './support/applications';
import { launchChromium, signInInBrowser } from './support/browser';
import { request, ROOT } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { TEST_SECRETS } from './support/test-secrets';
import { startPowerGridSim, startSystem, type RunningPowerGridSim, type RunningSystem } from './support/test-system';
import { until } from './support/until';

jest.setTimeout(120_000);

const ARTIFACTS = join(ROOT, 'test-artifacts', 'power-grid');

interface Delivery {
  id: string;
  status: string;
  statusName: string;
  attempts: number;
  lastError: string | null;
  receiptNo: string | null;
  certificateNo: string;
}

/**
 * EV-charger certificates reach the power-supply company's system (its stand-in, a real HTTP server
 * checking our HMAC and deduplicating by idempotency key), and the receipt comes back to the resident.
 */
describe('deliveries to the power-supply company', () => {
  describe('with the shared secret right', () => {
    let db: TestDatabase;
    let system: RunningSystem;
    let resident: ApiClient;
    let admin: ApiClient;

    beforeAll(async () => {
      db = await createTestDatabase('power_grid');
      system = await startSystem({ DATABASE_URL: db.url });
      resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
      admin = new ApiClient(system.api.baseUrl, await system.token('admin'));
    }, 120_000);
    afterAll(async () => {
      await system?.stop();
      await db?.drop();
    });

    it('delivers an issued EV-charger certificate exactly once, signed, and shows the receipt to the resident', async () => {
      const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
      const { application, certificate, pdf } = await issuedCertificate(resident, approver, 'ev-charger-installation');
      const delivery = await until('the receipt', async () => {
        const answer = await resident.call('GET', `/api/applications/${application.id}/power-grid-delivery`);
        const body = answer.body as { status: string; receiptNo: string | null };
        return body.status === 'delivered' ? body : undefined;
      });
      expect(delivery.receiptNo).toMatch(/^GD\d{14}$/);

      const sim = system.powerGrid!;
      expect(await sim.stats()).toMatchObject({ unique: 1, duplicates: 0, rejected: 0 });
      const [record] = await sim.records();
      expect(record).toMatchObject({
        certificateNo: certificate.number,
        receiptNo: delivery.receiptNo,
        signatureValid: true,
        type: 'ev-charger-installation',
        documentSha256: createHash('sha256').update(pdf).digest('hex'),
      });
      const sent = record as unknown as Record<string, string>;
      expect(sent.applicantName).toMatch(/\*/);
      expect(sent.applicantPhone).toMatch(/^1\d{2}\*{4}\d{4}$/);
      expect(sent.installationAddress).toBe(application.form.installationAddress);
      // The link the company downloads the PDF by gives exactly the issued file.
      const download = await fetch(sent.documentUrl);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);

      // The other types are not pushed.
      const weather = await issuedCertificate(resident, approver, 'weather');
      const none = await resident.call('GET', `/api/applications/${weather.application.id}/power-grid-delivery`);
      expect([none.status, (none.body as { code: string }).code]).toEqual([404, 'DELIVERY_NOT_FOUND']);

      const page = (await admin.call('GET', '/api/power-grid-deliveries')).body as {
        items: Delivery[];
        counts: Record<string, number>;
      };
      expect(page.counts).toEqual({ pending: 0, in_flight: 0, delivered: 1, dead: 0 });
      expect(page.items[0]).toMatchObject({ status: 'delivered', attempts: 1, receiptNo: delivery.receiptNo });
      const metrics = (await request(system.api.baseUrl, '/metrics')).text;
      expect(metrics).toContain('zhengming_power_grid_deliveries{status="delivered"} 1');
      expect(metrics).toContain('zhengming_power_grid_deliveries{status="dead"} 0');
      expect((await resident.call('GET', '/api/power-grid-deliveries')).status).toBe(403);
    });

    it('shows the receipt on the resident’s application and the delivery on the admin’s 供电推送 page', async () => {
      const browser = await launchChromium();
      try {
        mkdirSync(ARTIFACTS, { recursive: true });
        const [delivery] = (
          (await admin.call('GET', '/api/power-grid-deliveries?status=delivered')).body as {
            items: (Delivery & { applicationId: string })[];
          }
        ).items;
        const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };
        const residentPage = await (await browser.newContext(phone)).newPage();
        await signInInBrowser(residentPage, system, 'resident-a', `/applications/${delivery.applicationId}`);
        const line = residentPage.getByTestId('power-grid-delivery');
        await line.filter({ hasText: delivery.receiptNo! }).waitFor();
        expect(await line.innerText()).toContain(`已推送供电部门，受理号 ${delivery.receiptNo}`);
        await residentPage.screenshot({ path: join(ARTIFACTS, 'resident-receipt.png'), fullPage: true });

        const adminPage = await (await browser.newContext(phone)).newPage();
        await signInInBrowser(adminPage, system, 'admin', '/staff');
        await adminPage.getByTestId('deliveries-link').click();
        const row = adminPage.getByTestId('delivery-row').filter({ hasText: delivery.certificateNo });
        await row.waitFor();
        expect(await row.getAttribute('data-status')).toBe('delivered');
        expect(await row.getByTestId('delivery-receipt').innerText()).toContain(delivery.receiptNo!);
        expect(await adminPage.getByTestId('deliveries-count-delivered').innerText()).toContain('1');
        await adminPage.screenshot({ path: join(ARTIFACTS, 'admin-deliveries.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    });

    it('is refused by the stand-in when the body is not the one signed, or the signature is not ours', async () => {
      const sim = system.powerGrid!;
      const record = {
        certificateNo: '440118001001-EV-2026-999999-00',
        type: 'ev-charger-installation',
        typeName: '居民充电桩报装证明',
        issuedAt: new Date().toISOString(),
        installationAddress: '广州市增城区荔城街道府佑路8号地下停车场',
        applicantName: '李*梅',
        applicantPhone: '138****5678',
        documentSha256: 'a'.repeat(64),
        documentUrl: 'https://zm.example/doc.pdf',
      };
      const ts = String(Math.floor(Date.now() / 1000));
      const send = (body: string, signature: string) =>
        fetch(`${sim.url}/api/v1/installation-certificates`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': randomUUID(),
            'x-zm-timestamp': ts,
            'x-zm-signature': signature,
          },
          body,
        });
      const body = JSON.stringify(record);
      const tampered = JSON.stringify({ ...record, installationAddress: '广州市增城区别处' });
      const forged = await send(tampered, deliverySignature(TEST_SECRETS.POWER_GRID_HMAC_SECRET, ts, body));
      expect(forged.status).toBe(401);
      const wrongKey = await send(body, deliverySignature('not-the-shared-secret', ts, body));
      expect(wrongKey.status).toBe(401);
      // Our signer and the stand-in agree on the protocol: the same body, signed right, is taken.
      const ok = await send(body, deliverySignature(TEST_SECRETS.POWER_GRID_HMAC_SECRET, ts, body));
      expect(ok.status).toBe(201);
    });
  });

  describe('with a secret the company does not share', () => {
    let db: TestDatabase;
    let sim: RunningPowerGridSim;
    let system: RunningSystem;

    beforeAll(async () => {
      db = await createTestDatabase('power_grid_refused');
      sim = await startPowerGridSim({ POWER_GRID_HMAC_SECRET: 'the-company-has-another-secret' });
      system = await startSystem({ DATABASE_URL: db.url, POWER_GRID_URL: sim.url });
    }, 120_000);
    afterAll(async () => {
      await system?.stop();
      await sim?.stop();
      await db?.drop();
    });

    it('treats the refusal as final: dead after one attempt, with the reason, and the admin alerted', async () => {
      const resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
      const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
      const admin = new ApiClient(system.api.baseUrl, await system.token('admin'));
      const { application, certificate } = await issuedCertificate(resident, approver, 'ev-charger-installation');
      const dead = await until('the dead delivery', async () => {
        const page = (await admin.call('GET', '/api/power-grid-deliveries?status=dead')).body as { items: Delivery[] };
        return page.items[0];
      });
      expect(dead).toMatchObject({ certificateNo: certificate.number, attempts: 1, receiptNo: null });
      expect(dead.lastError).toMatch(/refused.*401.*bad_signature/);
      expect(await sim.stats()).toMatchObject({ unique: 0, rejected: 1 });

      const inbox = await admin.call('GET', '/api/notifications');
      expect(JSON.stringify(inbox.body)).toContain('供电部门推送失败');
      const seen = await resident.call('GET', `/api/applications/${application.id}/power-grid-delivery`);
      expect(seen.body).toMatchObject({ status: 'dead', receiptNo: null });

      // Retrying does not help until the secret is fixed, but it does send again, once.
      expect((await admin.call('POST', `/api/power-grid-deliveries/${dead.id}/retry`)).status).toBe(200);
      await until('the second refusal', async () => ((await sim.stats()).rejected === 2 ? true : undefined));
      const again = await until('dead again', async () => {
        const page = (await admin.call('GET', '/api/power-grid-deliveries?status=dead')).body as { items: Delivery[] };
        return page.items[0];
      });
      expect(again.attempts).toBe(1);
      const notDead = await admin.call('POST', `/api/power-grid-deliveries/${randomUUID()}/retry`);
      expect([notDead.status, (notDead.body as { code: string }).code]).toEqual([404, 'DELIVERY_NOT_FOUND']);
    });
  });
});
