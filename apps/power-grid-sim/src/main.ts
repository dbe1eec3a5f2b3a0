import { writeJsonLine } from '@zhengming/sim-kit';
import { startPowerGridSim } from './power-grid-sim';
import { loadPowerGridSimConfigOrExit } from './power-grid-sim.config';
import { RecordFileError } from './record-store';

async function main(): Promise<void> {
  const config = loadPowerGridSimConfigOrExit();
  const sim = await startPowerGridSim(config).catch((error: unknown) => {
    if (error instanceof RecordFileError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  });
  writeJsonLine({
    level: 'info',
    msg: 'power-grid-sim listening',
    url: sim.url,
    port: sim.port,
    data: config.dataFile ?? 'memory',
    records: sim.store.size,
    faults: config.faults,
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // Once: the handler is gone when the signal is raised again, so the process ends the way it was asked to.
    process.once(signal, () => {
      void sim.close().finally(() => process.kill(process.pid, signal));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `power-grid-sim failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
