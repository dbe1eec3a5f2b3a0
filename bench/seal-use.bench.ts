import { Client } from 'pg';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { ApiClient } from '../test/support/applications';
import { createTestDatabase } from '../test/support/test-database';
import { startSystem } from '../test/support/test-system';
import { load, loadFigures, type Bench, type BenchFigure } from './harness';

const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
/** Signing is CPU work on two cores: a few connections saturate it, more only queue. */
const CONNECTIONS = Number(process.env.BENCH_SEAL_USE_CONNECTIONS ?? 8);

/** A plain two-page contract, as an enterprise's own system would send it. */
async function contract(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const n of [1, 2]) {
    const page = doc.addPage([595.28, 841.89]);
    for (let line = 0; line < 40; line++) {
      page.drawText(`Purchase contract, page ${n}, clause ${line + 1}: the parties agree as follows.`, {
        x: 60,
        y: 780 - line * 18,
        size: 11,
        font,
      });
    }
  }
  return Buffer.from(await doc.save());
}

/**
 * The seal-use service under load: the enterprise's system (API key) posts a two-page PDF and gets it
 * back sealed (visible seal, PAdES, incremental update), each use logged; from this process against
 * the API in its own process on loopback, with the real PostgreSQL.
 */
export const sealUseBench: Bench = {
  name: 'seal-use',
  async run() {
    // With the district TSA (PAdES B-T, as deployed) and without (TSA_URL=off, B-B): the time-stamp's cost.
    const stamped = await measure({}, 'POST /api/enterprise-seals/{id}/uses (API key, 2-page PDF, B-T)');
    const plain = await measure({ TSA_URL: 'off' }, 'the same without time-stamps (TSA_URL=off, B-B)');
    plain.baseline = stamped.scenario;
    plain.ratio = (plain.throughput ?? 0) / (stamped.throughput ?? 1);
    return [stamped, plain];
  },
};

async function measure(env: Record<string, string>, scenario: string): Promise<BenchFigure> {
  const db = await createTestDatabase('bench_seal_use');
  // The bench's one key makes thousands of uses a minute: the per-key limit (SEAL_USE_KEY_PER_MINUTE) is
  // lifted, or the figure would be of 429 answers.
  const system = await startSystem({
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    SEAL_USE_KEY_PER_MINUTE: '100000',
    ...env,
  });
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  try {
    const legalRepresentative = new ApiClient(system.api.baseUrl, await system.token('legal-rep-a'));
    const admin = new ApiClient(system.api.baseUrl, await system.token('admin'));
    const applied = await legalRepresentative.call('POST', '/api/enterprise-seal-applications', {
      creditCode: '91440118MA59C3KPXG',
      enterpriseName: '广州增城示例科技有限公司',
      sealKinds: ['contract'],
    });
    const approved = await admin.call(
      'POST',
      `/api/enterprise-seal-applications/${(applied.body as { id: string }).id}/approve`,
    );
    const { enterpriseId, seals } = approved.body as { enterpriseId: string; seals: { id: string }[] };
    const key = await legalRepresentative.call('POST', `/api/enterprises/${enterpriseId}/api-keys`, {
      label: 'bench',
    });
    const form = new FormData();
    form.append('page', '2');
    form.append('x', '420');
    form.append('y', '160');
    const pdf = await contract();
    form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'contract.pdf');
    const url = `${system.api.baseUrl}/api/enterprise-seals/${seals[0].id}/uses`;
    // The multipart body as fetch would send it, replayed by the load generator.
    const encoded = new Request(url, { method: 'POST', body: form });
    const body = Buffer.from(await encoded.arrayBuffer());
    const headers = {
      'x-api-key': (key.body as { key: string }).key,
      'content-type': encoded.headers.get('content-type') ?? '',
    };
    const once = await fetch(url, { method: 'POST', headers, body });
    if (once.status !== 200) throw new Error(`seal use failed: ${once.status} ${await once.text()}`);
    const signedBytes = (await once.arrayBuffer()).byteLength;
    await load(url, { connections: CONNECTIONS, durationSeconds: 2, headers, method: 'POST', body }); // warm-up
    const result = await load(url, {
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      headers,
      method: 'POST',
      body,
    });
    if (result.non2xx > 0) throw new Error(`${result.non2xx} seal uses were refused or failed under load`);
    const { rows } = await sql.query<{ uses: string }>('SELECT count(*) AS uses FROM enterprise_seal_uses');
    const [figure] = loadFigures('seal-use', { [scenario]: result }, (name) => name, {
      connections: CONNECTIONS,
      durationSeconds: DURATION,
    });
    figure.note += `; ${pdf.length} B in, ${signedBytes} B out; ${rows[0].uses} uses logged`;
    return figure;
  } finally {
    await sql.end();
    await system.stop();
    await db.drop();
  }
}
