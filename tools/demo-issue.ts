import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { LoginError, loginThroughPlatform, NO_SEEDED_PASSWORD, seededUserPassword } from './oidc-login';

/**
 * `npm run --silent demo:issue -- --type <code> --out <file.pdf> [--base-url <url>] [--committee <code>]`
 *
 * An operator's smoke test of a running system: walks the real flow over HTTP as the seeded users —
 * resident-a applies to committee A with the type's example form and sample materials, clerk-a
 * accepts, approver-a approves — waits for the certificate, saves the signed PDF and prints the
 * application id and the certificate number (progress goes to stderr, results to stdout).
 */
const USAGE =
  'usage: npm run --silent demo:issue -- --type <code> --out <file.pdf> [--base-url <url>] [--committee <code>] [--timeout <seconds>]\n';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

class DemoFailed extends Error {}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        type: { type: 'string' },
        out: { type: 'string' },
        'base-url': { type: 'string' },
        committee: { type: 'string', default: '440118001001' },
        timeout: { type: 'string', default: '120' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 64;
  }
  const timeoutSeconds = Number(args.timeout);
  if (!args.type || !args.out || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    process.stderr.write(USAGE);
    return 64;
  }
  const env = process.env;
  const baseUrl = (args['base-url'] ?? env.ZHENGMING_API_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  const password = seededUserPassword(env);
  if (!password) {
    process.stderr.write(NO_SEEDED_PASSWORD);
    return 78;
  }
  try {
    const [resident, clerk, approver] = await Promise.all(
      ['resident-a', 'clerk-a', 'approver-a'].map(async (username) => {
        const { accessToken } = await loginThroughPlatform({ apiBaseUrl: baseUrl, username, password });
        return client(baseUrl, accessToken, username);
      }),
    );
    const draft = expectStatus(
      await resident(
        'POST',
        '/api/applications',
        { typeCode: args.type, committeeCode: args.committee },
        {
          'idempotency-key': randomUUID(),
        },
      ),
      201,
      'create the application',
    );
    const id = String(draft.id);
    const schema = draft.formSchema as { examples?: Record<string, unknown>[] };
    expectStatus(
      await resident('PUT', `/api/applications/${id}`, { form: schema.examples?.[0] ?? {} }),
      200,
      'fill in the form',
    );
    const requirements = (draft.materialRequirements as { key: string; name: string; required: boolean }[]).filter(
      (r) => r.required,
    );
    for (const [i, requirement] of requirements.entries()) {
      expectStatus(
        await upload(baseUrl, resident.token, id, requirement.key, await sampleMaterial(i)),
        201,
        `upload ${requirement.name}`,
      );
    }
    progress(`resident-a: ${String(draft.referenceNo)} filled in, ${requirements.length} materials uploaded`);
    expectStatus(await resident('POST', `/api/applications/${id}/submit`, {}), 200, 'submit');
    expectStatus(await clerk('POST', `/api/applications/${id}/accept`, {}), 200, 'accept');
    expectStatus(
      await approver('POST', `/api/applications/${id}/approve`, { comment: '演示：同意出具' }),
      200,
      'approve',
    );
    progress('submitted, accepted by clerk-a, approved by approver-a; waiting for the certificate (出证中)…');

    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const view = expectStatus(await resident('GET', `/api/applications/${id}`), 200, 'read the application');
      if (view.status === 'issued') break;
      if (Date.now() > deadline) {
        throw new DemoFailed(
          `no certificate after ${timeoutSeconds} s (status ${String(view.status)}): is the worker running (with REDIS_URL) or the API in embedded mode?`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const certificate = expectStatus(
      await resident('GET', `/api/applications/${id}/certificate`),
      200,
      'read the certificate',
    );
    const pdf = await fetch(`${baseUrl}${String(certificate.downloadUrl)}`, {
      headers: { authorization: `Bearer ${resident.token}` },
    });
    if (!pdf.ok) throw new DemoFailed(`download answered ${pdf.status}`);
    const bytes = Buffer.from(await pdf.arrayBuffer());
    await writeFile(args.out, bytes);
    progress(`saved ${bytes.length} bytes to ${args.out}`);
    process.stdout.write(`application ${id}\ncertificate ${String(certificate.number)}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof DemoFailed || error instanceof LoginError ? error.message : String(error);
    process.stderr.write(`demo:issue failed: ${message}\n`);
    return 1;
  }
}

type Client = ((method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Answer>) & {
  token: string;
};

function client(baseUrl: string, token: string, username: string): Client {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text: `${username}: ${text.slice(0, 200)}` };
    }
    return { status: response.status, body: parsed };
  };
  return Object.assign(call, { token });
}

async function upload(baseUrl: string, token: string, id: string, key: string, bytes: Buffer): Promise<Answer> {
  const form = new FormData();
  form.append('key', key);
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), `${key}.png`);
  const response = await fetch(`${baseUrl}/api/applications/${id}/materials`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

/** A photo-like sample picture (noise, so it is not mistaken for an empty scan). */
function sampleMaterial(seed: number): Promise<Buffer> {
  return sharp({
    create: {
      width: 480,
      height: 320,
      channels: 3,
      background: { r: 210, g: (seed * 50) % 255, b: 90 },
      noise: { type: 'gaussian', mean: 128, sigma: 30 },
    },
  })
    .png()
    .toBuffer();
}

function expectStatus(answer: Answer, status: number, step: string): Record<string, unknown> {
  if (answer.status !== status) {
    const { code, message } = answer.body as { code?: string; message?: string };
    throw new DemoFailed(`${step}: HTTP ${answer.status}${code ? ` ${code}` : ''}${message ? ` ${message}` : ''}`);
  }
  return answer.body;
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

void main().then((code) => (process.exitCode = code));
