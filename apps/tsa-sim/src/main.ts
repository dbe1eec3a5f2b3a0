import { writeJsonLine } from '@zhengming/sim-kit';
import { TsaKeyError } from './tsa-identity';
import { startTsaSim } from './tsa-sim';
import { loadTsaSimConfigOrExit } from './tsa-sim.config';

async function main(): Promise<void> {
  const config = loadTsaSimConfigOrExit();
  const sim = await startTsaSim(config).catch((error: unknown) => {
    if (error instanceof TsaKeyError) {
      process.stderr.write(`tsa-sim: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  });
  const certificate = sim.identity.x509;
  writeJsonLine({
    level: 'info',
    msg: 'tsa-sim listening',
    url: sim.url,
    port: sim.port,
    policy: config.policy,
    algorithm: sim.identity.algorithm,
    subject: certificate.subject,
    fingerprint256: certificate.fingerprint256,
    validTo: new Date(certificate.validTo).toISOString(),
    chain: sim.identity.chain.length,
  });
  if (Date.parse(certificate.validTo) < Date.now() || Date.parse(certificate.validFrom) > Date.now()) {
    writeJsonLine({ level: 'warn', msg: 'the TSA certificate is not valid now: its tokens will not verify' });
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // Once: the handler is gone when the signal is raised again, so the process ends the way it was asked to.
    process.once(signal, () => {
      void sim.close().finally(() => process.kill(process.pid, signal));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `tsa-sim failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
