import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { PDFDocument } from 'pdf-lib';
import { Client } from 'pg';
import { SignPdf } from '@signpdf/signpdf';
import { P12Signer } from '@signpdf/signer-p12';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import type { CertificateTypeDefinition } from '@zhengming/certificate-types';
import {
  appendPdfSignature,
  contentsSizeFor,
  issueCertificate,
  signerFor,
  signPreparedPdf,
  SoftwareKeyStore,
  TimestampService,
  type DataSigner,
  type KeyAlgorithm,
} from '@zhengming/signing';
import * as fontkit from 'fontkit';
import { APPROVER_FIELD, fillTemplate, renderDocument, type RenderJob } from '@zhengming/certificates';
import { ApiClient, preparedDraft } from '../test/support/applications';
import { freePort, ROOT } from '../test/support/test-app';
import { approvedBacklog } from '../test/support/backlog';
import { createTestDatabase, TEST_REDIS_URL } from '../test/support/test-database';
import { TEST_SECRETS } from '../test/support/test-secrets';
import { runTsaSim, startSystem } from '../test/support/test-system';
import { cpuMs, cpuMsOf, machineBusyMs, percentile, type Bench, type BenchFigure } from './harness';

const RUNS = Number(process.env.BENCH_ISSUANCE_RUNS ?? 300);
const NAIVE_RUNS = Number(process.env.BENCH_ISSUANCE_NAIVE_RUNS ?? 5);
const SUSTAINED = Number(process.env.BENCH_ISSUANCE_CERTIFICATES ?? 1000);
/** The worker's default on this machine (CERTIFICATE_RENDER_THREADS): one core fewer than there are. */
const RENDER_THREADS = Math.max(1, availableParallelism() - 1);
const SERIF_FONT = require.resolve('@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf');

interface Fixture {
  algorithm: KeyAlgorithm;
  seal: { signer: DataSigner; certificate: Buffer };
  approver: { signer: DataSigner; certificate: Buffer };
  chain: Buffer[];
  /** Certifies a P-256 key for time-stamping under the fixture's root: tsa-sim's key and certificate, PEM. */
  timestampingUnit(): Promise<{ key: string; certificate: string }>;
}

/** A district chain of the given algorithm, made in memory: root, seal and approver certificates. */
async function fixture(algorithm: KeyAlgorithm): Promise<Fixture> {
  const store = new SoftwareKeyStore({ keys: new Map([['b', randomBytes(32)]]), activeKeyId: 'b' });
  const rootKey = await store.generate(algorithm, 'root');
  const rootName = { C: 'CN', O: '广州市增城区电子证明服务平台', CN: '增城区电子证明根证书' };
  const now = new Date();
  const later = new Date(now.getTime() + 3 * 365 * 24 * 3600 * 1000);
  const root = await issueCertificate(
    {
      subject: rootName,
      issuer: rootName,
      subjectPublicKeySpki: rootKey.publicKeySpki,
      issuerPublicKeySpki: rootKey.publicKeySpki,
      notBefore: now,
      notAfter: later,
      ca: { pathLength: 0 },
      keyUsage: ['keyCertSign', 'cRLSign'],
    },
    signerFor(store, rootKey),
  );
  const endEntity = async (cn: string) => {
    const key = await store.generate(algorithm, cn);
    const issued = await issueCertificate(
      {
        subject: { C: 'CN', O: '荔城街道城南社区居民委员会', CN: cn },
        issuer: rootName,
        subjectPublicKeySpki: key.publicKeySpki,
        issuerPublicKeySpki: rootKey.publicKeySpki,
        notBefore: now,
        notAfter: later,
        keyUsage: ['digitalSignature', 'nonRepudiation'],
      },
      signerFor(store, rootKey),
    );
    return { signer: signerFor(store, key), certificate: issued.der };
  };
  return {
    algorithm,
    seal: await endEntity('荔城街道城南社区居民委员会电子印章'),
    approver: await endEntity('刘建国'),
    chain: [root.der],
    async timestampingUnit() {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const issued = await issueCertificate(
        {
          subject: { C: 'CN', O: '广州市增城区电子证明服务平台', CN: '增城区电子证明时间戳服务（测试）' },
          issuer: rootName,
          subjectPublicKeySpki: publicKey.export({ format: 'der', type: 'spki' }),
          issuerPublicKeySpki: rootKey.publicKeySpki,
          notBefore: now,
          notAfter: later,
          keyUsage: ['digitalSignature', 'nonRepudiation'],
          extendedKeyUsage: ['timeStamping'],
        },
        signerFor(store, rootKey),
      );
      const pem = `-----BEGIN CERTIFICATE-----\n${issued.der.toString('base64')}\n-----END CERTIFICATE-----\n`;
      return { key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), certificate: pem };
    },
  };
}

function definition(code: string): CertificateTypeDefinition {
  return JSON.parse(
    readFileSync(join(ROOT, `db/seeds/certificate-types/${code}.json`), 'utf8'),
  ) as CertificateTypeDefinition;
}

function renderJob(fx: Fixture, type: CertificateTypeDefinition, tokenBytes = 0): RenderJob {
  const issuedAt = new Date();
  return {
    certificate: {
      template: type.template,
      typeName: type.name,
      form: type.formSchema.examples[0],
      certificateNo: '440118001001-EV-2026-000123-K7',
      verificationCode: '7KQ2M9XD',
      verificationUrl: 'https://zm.zengcheng.gov.cn/v/440118001001EV2026000123K7?c=7KQ2M9XD',
      committee: { name: '荔城街道城南社区居民委员会', code: '440118001001' },
      seal: { title: '荔城街道城南社区居民委员会', code: '4401180010011' },
      approver: { name: '刘建国' },
      issuedAt,
      validUntil: new Date(issuedAt.getTime() + 180 * 24 * 3600 * 1000),
    },
    sealSignature: {
      signedAt: issuedAt,
      reason: '荔城街道城南社区居民委员会出具居民充电桩报装证明',
      location: '广州市增城区',
      signerName: '荔城街道城南社区居民委员会',
      contentsSize: contentsSizeFor([fx.seal.certificate, ...fx.chain], fx.algorithm, tokenBytes),
    },
  };
}

/**
 * What the issuer does per certificate, minus the database and storage: render, seal, sign, hash;
 * with a TSA, each signature time-stamped (PAdES B-T) as the issuer does it.
 */
async function issueOnce(fx: Fixture, job: RenderJob, tsa?: { timestamps: TimestampService; tokenBytes: number }) {
  const { pdf, prepared } = await renderDocument(job);
  const timestamper = tsa?.timestamps;
  const sealed = await signPreparedPdf(pdf, prepared, { ...fx.seal, chain: fx.chain, timestamper });
  const document = await appendPdfSignature(
    sealed,
    prepared,
    APPROVER_FIELD,
    {
      ...job.sealSignature,
      reason: '审批人刘建国审批同意',
      signerName: '刘建国',
      contentsSize: contentsSizeFor([fx.approver.certificate, ...fx.chain], fx.algorithm, tsa?.tokenBytes ?? 0),
    },
    { ...fx.approver, chain: fx.chain, timestamper },
  );
  createHash('sha256').update(document).digest('hex');
  return document;
}

async function timed(runs: number, work: () => Promise<Buffer>): Promise<{ times: number[]; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    bytes = (await work()).length;
    times.push(performance.now() - started);
  }
  return { times: times.sort((a, b) => a - b), bytes };
}

/**
 * The naive pipeline the issue compares with: pdf-lib embedding the whole CJK font (no subset) and
 * @signpdf's P12Signer (adbe.pkcs7.detached, RSA in node-forge's JavaScript) for one signature.
 */
async function naiveOnce(type: CertificateTypeDefinition, p12: Buffer, lines: string[]): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit as unknown as Parameters<PDFDocument['registerFontkit']>[0]);
  const font = await doc.embedFont(readFileSync(SERIF_FONT), { subset: false });
  const page = doc.addPage([595.28, 841.89]);
  page.drawText(type.name, { x: 200, y: 760, size: 22, font });
  lines.forEach((line, i) => page.drawText(line, { x: 60, y: 700 - i * 24, size: 14, font }));
  pdflibAddPlaceholder({
    pdfDoc: doc,
    reason: '出具证明',
    contactInfo: '',
    name: '城南社区',
    location: '广州市增城区',
  });
  const bytes = Buffer.from(await doc.save());
  return new SignPdf().sign(bytes, new P12Signer(p12));
}

function rsaP12(): Buffer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: 'naive' }]);
  cert.setIssuer([{ name: 'commonName', value: 'naive' }]);
  cert.sign(key, forge.md.sha256.create());
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], '', { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/**
 * Issuing: the per-certificate cost on one core (render with a CJK font subset, the seal's PAdES
 * signature, the approver's incremental signature) for P-256 and RSA-2048 keys, against the naive
 * pipeline; then certificates per second through the real worker (BullMQ on Redis, PostgreSQL, its
 * default render threads) draining a backlog of approved applications.
 */
export const issuanceBench: Bench = {
  name: 'issuance',
  async run() {
    const figures: BenchFigure[] = [];
    const type = definition('ev-charger-installation');
    const medians: Partial<Record<KeyAlgorithm, number>> = {};
    for (const algorithm of ['ec-p256', 'rsa-2048'] as const) {
      const fx = await fixture(algorithm);
      const job = renderJob(fx, type);
      await timed(30, () => issueOnce(fx, job));
      const run = await timed(RUNS, () => issueOnce(fx, job));
      medians[algorithm] = percentile(run.times, 50);
      figures.push({
        bench: 'issuance',
        scenario: `render + seal + approver signature, one core (${algorithm})`,
        unit: 'ms',
        median: percentile(run.times, 50),
        p95: percentile(run.times, 95),
        throughput: 1000 / percentile(run.times, 50),
        note: `${RUNS} certificates after 30 warm-up; PDF ${(run.bytes / 1024).toFixed(1)} KB (target ≤ 60 KB, ≤ 15 ms)`,
      });
    }
    figures.push({
      bench: 'issuance',
      scenario: 'key choice: RSA-2048 / P-256 per certificate',
      unit: 'ratio',
      median: medians['rsa-2048']! / medians['ec-p256']!,
      note: 'why new keys are P-256 (SIGNING_KEY_ALGORITHM)',
    });

    const p12 = rsaP12();
    const lines = fillTemplate(type.template, type.formSchema.examples[0]).blocks.flatMap((block) =>
      block.kind === 'paragraph'
        ? (block.text.match(/.{1,28}/gu) ?? [])
        : block.rows.map((row) => `${row.label}：${row.value}`),
    );
    await naiveOnce(type, p12, lines);
    const naive = await timed(NAIVE_RUNS, () => naiveOnce(type, p12, lines));
    figures.push({
      bench: 'issuance',
      scenario: 'naive: pdf-lib whole font + @signpdf P12Signer (one signature)',
      unit: 'ms',
      median: percentile(naive.times, 50),
      p95: percentile(naive.times, 95),
      baseline: 'render + seal + approver signature, one core (ec-p256)',
      ratio: percentile(naive.times, 50) / medians['ec-p256']!,
      note: `${NAIVE_RUNS} runs; PDF ${(naive.bytes / 1024 / 1024).toFixed(1)} MB; ratio = naive / ours`,
    });

    figures.push(...(await timestampCost(type, medians['ec-p256']!)));
    figures.push(await sustained(true));
    figures.push(await sustained(false));
    return figures;
  },
};

/**
 * The time-stamp's cost per certificate: the same issuing with both signatures time-stamped by tsa-sim
 * (its own process, on this machine: the round trip without a network), against the B-B median.
 */
async function timestampCost(type: CertificateTypeDefinition, withoutMedian: number): Promise<BenchFigure[]> {
  const fx = await fixture('ec-p256');
  const dir = await mkdtemp(join(tmpdir(), 'zm-bench-tsa-'));
  const unit = await fx.timestampingUnit();
  await writeFile(join(dir, 'tsa.key'), unit.key, { mode: 0o600 });
  await writeFile(join(dir, 'tsa.pem'), unit.certificate);
  const port = await freePort();
  const sim = await runTsaSim(dir, port);
  try {
    const timestamps = new TimestampService({
      url: `http://127.0.0.1:${port}/`,
      simPort: port,
      timeoutMs: 10_000,
      trustedRootsFile: null,
    });
    const tokenBytes = await timestamps.tokenReserve();
    const job = renderJob(fx, type, tokenBytes);
    const tsa = { timestamps, tokenBytes };
    await timed(30, () => issueOnce(fx, job, tsa));
    const run = await timed(RUNS, () => issueOnce(fx, job, tsa));
    const stamps: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await timestamps.stamp(randomBytes(72));
      stamps.push(performance.now() - started);
    }
    stamps.sort((a, b) => a - b);
    const withMedian = percentile(run.times, 50);
    const plain = await issueOnce(fx, renderJob(fx, type));
    return [
      {
        bench: 'issuance',
        scenario: 'render + seal + approver signature, both time-stamped (PAdES B-T, ec-p256)',
        unit: 'ms',
        median: withMedian,
        p95: percentile(run.times, 95),
        throughput: 1000 / withMedian,
        baseline: 'render + seal + approver signature, one core (ec-p256)',
        ratio: withMedian / withoutMedian,
        note: `${RUNS} certificates, tsa-sim in its own process; PDF ${(run.bytes / 1024).toFixed(1)} KB against ${(
          plain.length / 1024
        ).toFixed(1)} KB without (token ${tokenBytes - 64} B)`,
      },
      {
        bench: 'issuance',
        scenario: 'time-stamp cost per certificate (2 tokens: TSA round trips + embedding)',
        unit: 'ms',
        median: withMedian - withoutMedian,
        note: `median with time-stamps minus median without; one token's round trip alone: median ${percentile(
          stamps,
          50,
        ).toFixed(2)} ms, p95 ${percentile(stamps, 95).toFixed(2)} ms`,
      },
    ];
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A backlog of approved applications, then the worker started: certificates per second until drained,
 * with every signature time-stamped by tsa-sim (its own process) or without time-stamps (TSA_URL=off).
 */
async function sustained(timestamped: boolean): Promise<BenchFigure> {
  const db = await createTestDatabase(`bench_iss_${timestamped ? 'bt' : 'bb'}`);
  const files = await mkdtemp(join(tmpdir(), 'zm-bench-files-'));
  const shared = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    STORAGE_LOCAL_DIR: files,
    LOG_LEVEL: 'warn',
    ...(timestamped ? {} : { TSA_URL: 'off' }),
  };
  const system = await startSystem(shared);
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  try {
    const resident = new ApiClient(system.api.baseUrl, await system.token('resident-a'));
    const approver = new ApiClient(system.api.baseUrl, await system.token('approver-a'));
    const draft = await preparedDraft(resident, 'ev-charger-installation');
    await resident.action(draft.id, 'submit');
    await approver.action(draft.id, 'approve');
    await approvedBacklog(sql, draft.id, SUSTAINED);
    let output = '';
    const worker = spawn(process.execPath, [join(ROOT, 'dist/apps/worker/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...TEST_SECRETS,
        ...shared,
        REDIS_KEY_PREFIX: `bench-${db.name}`,
        // Each EV-charger certificate is also pushed to the company's stand-in, as in production.
        POWER_GRID_URL: system.powerGrid!.url,
        ...(timestamped ? { TSA_URL: system.tsa!.url } : {}),
        // e.g. a profiler: --require of a script that writes a .cpuprofile on SIGTERM.
        ...(process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let started = 0;
    const cpu = async () => ({
      worker: await cpuMs(worker.pid!),
      postgres: await cpuMsOf('postgres'),
      machine: await machineBusyMs(),
    });
    let before = await cpu();
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      const { rows } = await sql.query<{ issued: string }>(
        `SELECT count(*) AS issued FROM certificates WHERE status = 'issued'`,
      );
      const issued = Number(rows[0].issued);
      if (issued > 0 && !started) {
        started = performance.now();
        before = await cpu();
      }
      if (issued >= SUSTAINED) break;
      if (Date.now() > deadline || worker.exitCode !== null) {
        throw new Error(`issued ${issued} of ${SUSTAINED}; worker:\n${output.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const after = await cpu();
    const per = (part: keyof typeof after) => (after[part] - before[part]) / (SUSTAINED - 1);
    // What one certificate costs the worker (its render threads included), PostgreSQL, and everything
    // else on the machine (tsa-sim, the power-grid stand-in, Redis, the API, this process): their sum
    // over two cores bounds the rate whatever the noise.
    const cost = {
      worker: per('worker'),
      postgres: per('postgres'),
      other: per('machine') - per('worker') - per('postgres'),
    };
    const costNote = `CPU ms/certificate: worker ${cost.worker.toFixed(2)}, postgres ${cost.postgres.toFixed(2)}, other ${cost.other.toFixed(2)}; sum ${per('machine').toFixed(2)}, so 2 cores allow ≤ ${Math.round(2000 / per('machine'))}/s`;
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    const { rows: sizes } = await sql.query<{ median: number; max: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY document_bytes) AS median, max(document_bytes) AS max
         FROM certificates`,
    );
    const stored = (await readdir(join(files, 'certificates'), { recursive: true })).filter((f) => f.endsWith('.pdf'));
    return {
      bench: 'issuance',
      scenario: `sustained through the worker (BullMQ, PostgreSQL, ${RENDER_THREADS} render thread${RENDER_THREADS > 1 ? 's' : ''}), ${
        timestamped ? 'time-stamped (B-T)' : 'no time-stamps (B-B)'
      }`,
      unit: 'certs/s',
      median: (SUSTAINED - 1) / seconds,
      throughput: (SUSTAINED - 1) / seconds,
      note: `${SUSTAINED} certificates drained in ${seconds.toFixed(1)} s (target ≥ 100/s); PDF median ${Math.round(
        sizes[0].median / 1024,
      )} KB, max ${Math.round(sizes[0].max / 1024)} KB; ${stored.length} files stored; ${costNote}`,
    };
  } finally {
    await sql.end();
    await system.stop();
    await db.drop();
    await rm(files, { recursive: true, force: true });
  }
}
