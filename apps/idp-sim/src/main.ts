import { loadIdpSimConfigOrExit } from './idp-sim.config';
import { startIdpSim } from './idp-sim';
import { writeJsonLine } from '@zhengming/sim-kit';
import { PeopleFileError } from './people-directory';

async function main(): Promise<void> {
  const config = loadIdpSimConfigOrExit();
  const sim = await startIdpSim(config).catch((error: unknown) => {
    if (error instanceof PeopleFileError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  });
  writeJsonLine({ level: 'info', msg: 'idp-sim listening', issuer: sim.url, port: sim.port });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // Once: the handler is gone when the signal is raised again, so the process ends the way it was asked to.
    process.once(signal, () => {
      void sim.close().finally(() => process.kill(process.pid, signal));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `idp-sim failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
