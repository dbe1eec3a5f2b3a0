import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PostgreSQL compiled to WebAssembly (PGlite), persisted in a local folder and served on a loopback
 * socket so that TypeORM's ordinary `pg` driver talks to it. PGlite has a single connection: the
 * data source that uses it must have a pool of one, which serializes every database access.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly port: number,
    readonly dataDir: string,
    private readonly lockFile: string | undefined,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const inMemory = dataDir.startsWith('memory://');
    const absolute = inMemory ? dataDir : resolve(dataDir);
    let lockFile: string | undefined;
    if (!inMemory) {
      await mkdir(absolute, { recursive: true });
      lockFile = await acquireLock(absolute);
    }
    const db = await PGlite.create(absolute).catch(async (error: unknown) => {
      if (lockFile) await rm(lockFile, { force: true });
      throw error;
    });
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
    await server.start();
    const address = (server as unknown as { server: import('node:net').Server }).server.address();
    if (!address || typeof address === 'string') {
      throw new Error('embedded PostgreSQL did not report a TCP port');
    }
    return new EmbeddedPostgres(db, server, address.port, absolute, lockFile);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    if (this.lockFile) await rm(this.lockFile, { force: true });
  }
}

/**
 * Two processes opening the same PGlite folder would corrupt it; the lock names the holder so the
 * second one stops with a clear message instead. A lock left by a dead process is taken over.
 */
async function acquireLock(dataDir: string): Promise<string> {
  const lockFile = join(dataDir, '.zhengming.lock');
  try {
    await writeFile(lockFile, String(process.pid), { flag: 'wx' });
    return lockFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
    throw new Error(
      `嵌入式数据库 ${dataDir} 正被进程 ${holder} 使用 (the embedded database is in use by process ${holder}); ` +
        'stop it first, or set DATABASE_URL to use a PostgreSQL server',
    );
  }
  await writeFile(lockFile, String(process.pid));
  return lockFile;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
