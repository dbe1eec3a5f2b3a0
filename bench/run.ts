import { join } from 'node:path';
import { printTable, writeResults, type Bench, type BenchFigure } from './harness';
import { httpApiBench } from './http-api.bench';
import { identityBench } from './identity.bench';
import { workflowBench } from './workflow.bench';
import { issuanceBench } from './issuance.bench';
import { verificationBench } from './verification.bench';
import { deliveriesBench } from './deliveries.bench';
import { sealUseBench } from './seal-use.bench';
import { reportsBench } from './reports.bench';

/** `npm run bench [-- name ...]`: runs the benchmarks (all, or those named), prints a table, writes JSON. */
const BENCHES: Bench[] = [
  httpApiBench,
  identityBench,
  workflowBench,
  issuanceBench,
  verificationBench,
  deliveriesBench,
  sealUseBench,
  reportsBench,
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const selected = wanted.length ? BENCHES.filter((b) => wanted.includes(b.name)) : BENCHES;
  const figures: BenchFigure[] = [];
  for (const bench of selected) {
    process.stderr.write(`running ${bench.name}…\n`);
    figures.push(...(await bench.run()));
  }
  printTable(figures);
  const file = await writeResults(figures, join(process.cwd(), 'bench/results'));
  process.stdout.write(`results written to ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
