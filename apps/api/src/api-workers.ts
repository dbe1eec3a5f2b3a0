import cluster from 'node:cluster';
import pino from 'pino';

const RESTART_DELAY_MS = 1000;

/**
 * Runs `count` API processes on one port (node:cluster gives each new connection to one of them), so
 * the API can use every core. The first starts alone, so migrations and reference data run once; the
 * others start once it listens. A process that dies is replaced after a second. SIGTERM or SIGINT is
 * passed to every process, each shuts down as a lone API would (flushing the verification log), and
 * this one exits when they all have.
 */
export function superviseApiWorkers(count: number, logLevel: string): void {
  const log = pino({ name: 'api-workers', level: logLevel });
  const live = new Set<number>();
  let started = false;
  let stopping = false;

  const fork = () => {
    const worker = cluster.fork();
    live.add(worker.id);
  };
  cluster.on('listening', (worker) => {
    log.info({ pid: worker.process.pid }, 'API process listening');
    if (started) return;
    started = true;
    for (let i = 1; i < count; i += 1) fork();
  });
  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker.id);
    if (stopping) {
      if (live.size === 0) process.exit(0);
      return;
    }
    if (!started) {
      log.error({ code, signal }, 'the first API process failed to start');
      process.exit(1);
    }
    log.error({ pid: worker.process.pid, code, signal }, 'API process died; starting another');
    setTimeout(fork, RESTART_DELAY_MS);
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    if (live.size === 0) process.exit(0);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  log.info({ count }, 'starting API processes');
  fork();
}
