import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TEST_SECRETS } from './test-secrets';

/** The repository: found by walking up, so the helpers work from the sources (Jest) and compiled (benchmarks). */
function repositoryRoot(start: string): string {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${start}`);
}

export const ROOT = repositoryRoot(__dirname);
export const API_ENTRY = join(ROOT, 'dist/apps/api/src/main.js');

/** A clean shutdown (stop) re-raises the signal once Nest has closed everything. */
export interface RunningApi extends RunningProcess {
  baseUrl: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface RunningProcess {
  process: ChildProcess;
  output: () => string;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a built entry point as its own process with exactly the environment given (plus PATH), and
 * waits until `readyUrl` answers 2xx; fails with everything the process printed if it exits first or
 * is not ready in time.
 */
export async function startProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  readyUrl: string,
  timeoutMs = 60_000,
): Promise<RunningProcess> {
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(readyUrl)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready after ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Starts the built API (`npm run build` first; the test scripts do it) as its own process, exactly
 * as the start command does, and waits until it answers /health.
 */
export async function startApi(
  env: Record<string, string>,
  readyPath = '/health',
  timeoutMs = 60_000,
): Promise<RunningApi> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // Uploaded files go to a folder of this API's own, never into the repository's ./data.
  const files = env.STORAGE_LOCAL_DIR ? undefined : await mkdtemp(join(tmpdir(), 'zm-api-files-'));
  const api = await startProcess(
    'API',
    API_ENTRY,
    {
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      // Counters and queues of one test's API never meet another's in the shared Redis.
      REDIS_KEY_PREFIX: `test-${port}-${Date.now().toString(36)}`,
      ...(files ? { STORAGE_LOCAL_DIR: files } : {}),
      ...TEST_SECRETS,
      ...env,
    },
    `${baseUrl}${readyPath}`,
    timeoutMs,
  );
  return {
    baseUrl,
    ...api,
    stop: async () => {
      const exit = await api.stop();
      if (files) await rm(files, { recursive: true, force: true });
      return exit;
    },
  };
}

export interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

export async function request(baseUrl: string, path: string, init?: RequestInit): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text, headers: response.headers };
}
