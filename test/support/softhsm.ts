import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runInThisContext } from 'node:vm';

const run = promisify(execFile);

/** Where distributions put the module; `SOFTHSM2_LIB` overrides. */
const LIBRARY_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib64/pkcs11/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

const INSTALL_HINT =
  'install softhsm2 (Debian/Ubuntu: `apt-get install softhsm2 opensc`); CI installs it, and the PKCS#11 tests fail rather than skip without it';

export interface SoftHsmToken {
  /** Path of the PKCS#11 module to load. */
  library: string;
  tokenLabel: string;
  /** The user PIN. */
  pin: string;
  /** Path of the `softhsm2.conf` this token lives under. */
  conf: string;
  /** Removes the token's directory and restores the previous `SOFTHSM2_CONF`. */
  dispose(): Promise<void>;
}

let active: string | undefined;

/**
 * Makes a throwaway SoftHSM2 token in a temporary directory.
 *
 * SoftHSM reads its configuration file, named by `SOFTHSM2_CONF`, when `C_Initialize` runs: so this
 * sets that variable for the whole process, and every PKCS#11 session in the process, from
 * `Pkcs11KeyStore` or from a child such as `pkcs11-tool` (which inherits the environment), sees this
 * token directory. One SoftHSM configuration per process is all that works: a library already
 * initialized keeps the directory it read until it is finalized. Hence one live token per process
 * (Jest runs each spec file in its own worker, so that is one per spec file); a second call before
 * `dispose()` throws.
 */
export async function createSoftHsmToken(options: { label?: string; pin?: string } = {}): Promise<SoftHsmToken> {
  if (active) {
    throw new Error(`A SoftHSM token is already live in this process (${active}): dispose() it first`);
  }
  const library = findLibrary();
  const tokenLabel = options.label ?? `zhengming-test-${randomBytes(3).toString('hex')}`;
  const pin = options.pin ?? randomBytes(6).toString('hex');
  const soPin = randomBytes(6).toString('hex');

  const dir = await mkdtemp(join(tmpdir(), 'zhengming-softhsm-'));
  const tokens = join(dir, 'tokens');
  const conf = join(dir, 'softhsm2.conf');
  await mkdir(tokens);
  await writeFile(
    conf,
    [`directories.tokendir = ${tokens}`, 'objectstore.backend = file', 'log.level = ERROR', ''].join('\n'),
  );

  try {
    await run('softhsm2-util', ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', soPin], {
      env: { ...process.env, SOFTHSM2_CONF: conf },
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`softhsm2-util was not found on PATH: ${INSTALL_HINT}`);
    }
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`softhsm2-util could not initialize token "${tokenLabel}": ${stderr || String(error)}`);
  }

  const environments = [...new Set([process.env, hostEnvironment()])];
  const previous = environments.map((env) => env.SOFTHSM2_CONF);
  for (const env of environments) env.SOFTHSM2_CONF = conf;
  active = tokenLabel;

  let disposed = false;
  return {
    library,
    tokenLabel,
    pin,
    conf,
    async dispose() {
      if (disposed) return;
      disposed = true;
      environments.forEach((env, i) => {
        if (previous[i] === undefined) delete env.SOFTHSM2_CONF;
        else env.SOFTHSM2_CONF = previous[i];
      });
      active = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The environment SoftHSM's `getenv` sees. Jest runs a spec in a vm context whose `process.env` is a
 * plain copy, so writing there never reaches the C environment; the host realm's `process.env` does
 * (Node's setter calls `setenv`), and child processes inherit it too. Outside Jest both are the same.
 */
function hostEnvironment(): NodeJS.ProcessEnv {
  return (runInThisContext('process') as NodeJS.Process).env;
}

function findLibrary(): string {
  const override = process.env.SOFTHSM2_LIB;
  if (override) {
    if (!existsSync(override)) throw new Error(`SOFTHSM2_LIB names ${override}, which does not exist`);
    return override;
  }
  const found = LIBRARY_CANDIDATES.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `libsofthsm2.so was not found (looked in ${LIBRARY_CANDIDATES.join(', ')}; set SOFTHSM2_LIB to override): ${INSTALL_HINT}`,
    );
  }
  return found;
}
