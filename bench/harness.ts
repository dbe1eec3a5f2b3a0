import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

/** One line of the benchmark table. `ratio` compares it with the baseline named in `baseline`. */
export interface BenchFigure {
  bench: string;
  scenario: string;
  unit: string;
  median: number;
  p95?: number;
  p99?: number;
  throughput?: number;
  baseline?: string;
  ratio?: number;
  note?: string;
}

export interface Bench {
  name: string;
  run(): Promise<BenchFigure[]>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** HTTP load from this process against a server in another: every response time is kept, for exact percentiles. */
export async function load(
  url: string,
  options: {
    connections: number;
    durationSeconds: number;
    headers?: Record<string, string>;
    method?: 'GET' | 'POST';
    body?: Buffer;
  },
) {
  const times: number[] = [];
  let non2xx = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        duration: options.durationSeconds,
        headers: options.headers,
        // autocannon refuses an explicit undefined method: GET unless told.
        method: options.method ?? 'GET',
        body: options.body,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) times.push(responseTime);
      else non2xx += 1;
    });
  });
  times.sort((a, b) => a - b);
  return {
    medianMs: percentile(times, 50),
    p95Ms: percentile(times, 95),
    p99Ms: percentile(times, 99),
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    non2xx: non2xx + result.errors + result.timeouts,
  };
}

/** wrk's own summary, printed by its `done` hook: counts, then latency percentiles in microseconds. */
const WRK_REPORT = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("zm-wrk %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
`;

/**
 * Paces wrk's requests at a fixed rate over all its connections: each request takes the next slot of
 * a schedule 1/rate apart (wall clock from gettimeofday through LuaJIT's FFI, wrk having no clock of
 * its own) and waits for it. Latency is then measured at that load rather than at saturation, where a
 * closed loop of connections always ends up.
 */
const wrkPacing = (perSecond: number) => `local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } zm_timeval;
int gettimeofday(zm_timeval *tv, void *tz);
]]
local tv = ffi.new("zm_timeval")
local interval = ${1000 / perSecond}
local slot = nil
delay = function()
  ffi.C.gettimeofday(tv, nil)
  local now = tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
  slot = math.max(slot or now, now - 1000) + interval
  return math.max(0, math.floor(slot - now))
end
`;

/**
 * HTTP load from wrk (C, one thread), for the scenarios where the load generator's own CPU would cap
 * what two cores can show: wrk spends about a tenth of what autocannon does per request. Percentiles
 * come from wrk's latency histogram. Its CPU ends up in this process's children's time (cpuMs).
 * Without `ratePerSecond` the connections send as fast as answers come (the throughput the machine
 * allows); with it, at that rate (the latency at that load).
 */
export async function wrkLoad(
  url: string,
  options: {
    connections: number;
    durationSeconds: number;
    headers?: Record<string, string>;
    /** Paths (with query) to request in turn on `url`'s host, rather than `url` over and over. */
    paths?: string[];
    ratePerSecond?: number;
  },
) {
  const dir = await mkdtemp(join(tmpdir(), 'zm-wrk-'));
  try {
    const rotation = options.paths?.length
      ? `local paths = {${options.paths.map((p) => JSON.stringify(p)).join(',')}}
local next = 0
request = function()
  next = next % #paths + 1
  return wrk.format(nil, paths[next])
end
`
      : '';
    const pacing = options.ratePerSecond ? wrkPacing(options.ratePerSecond) : '';
    await writeFile(join(dir, 'report.lua'), rotation + pacing + WRK_REPORT);
    const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
    const args = ['-t1', `-c${options.connections}`, `-d${options.durationSeconds}s`, ...headers];
    const { stdout } = await promisify(execFile)('wrk', [...args, '-s', join(dir, 'report.lua'), url]).catch(
      (error: NodeJS.ErrnoException) => {
        throw error.code === 'ENOENT' ? new Error('wrk is not installed: apt-get install -y wrk') : error;
      },
    );
    const line = /^zm-wrk (.*)$/m.exec(stdout)?.[1];
    if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
    const [requests, durationUs, statusErrors, socketErrors, p50, p95, p99] = line.split(' ').map(Number);
    return {
      medianMs: p50 / 1000,
      p95Ms: p95 / 1000,
      p99Ms: p99 / 1000,
      requestsPerSecond: requests / (durationUs / 1e6),
      requests,
      non2xx: statusErrors + socketErrors,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc: what a request costs the server
 * whatever else the machine is doing, where throughput on a shared machine swings with its load. With
 * `tree`, its live descendants' too (the API's worker processes); with `exitedChildren`, what its
 * children that have exited and been waited for used (a load generator that has finished).
 */
export async function cpuMs(pid: number, include: { tree?: boolean; exitedChildren?: boolean } = {}): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  let total = cpuMsOfStat(stat) + (include.exitedChildren ? childrenCpuMsOfStat(stat) : 0);
  if (include.tree) {
    for (const child of await childrenOf(pid)) total += await cpuMs(child, include);
  }
  return total;
}

async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (stat && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
  }
  return children;
}

/**
 * CPU time (ms) used so far by every process whose command is `command` (e.g. all of PostgreSQL's backends),
 * and by their children that have exited.
 */
export async function cpuMsOf(command: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== command) continue;
    // With cutime and cstime: a backend that exited during the run is counted in its parent's.
    total += cpuMsOfStat(stat) + childrenCpuMsOfStat(stat);
  }
  return total;
}

/** CPU time (ms) the whole machine has been busy (every core, every process), from /proc/stat. */
export async function machineBusyMs(): Promise<number> {
  const [, ...ticks] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
  const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
  return (busy * 1000) / CLOCK_TICKS_PER_SECOND;
}

function childrenCpuMsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function cpuMsOfStat(stat: string): number {
  // Fields after the command name (which may hold spaces) start at state; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux build that Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

export async function startProcess(
  script: string,
  args: string[],
  env: Record<string, string>,
  readyUrl: string,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    if (
      await fetch(readyUrl).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    if (Date.now() > deadline) throw new Error(`${script} not ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export type LoadResult = Awaited<ReturnType<typeof load>>;

/**
 * One figure per load scenario: latency and throughput, and the throughput ratio to the scenario
 * `baselineOf` names (none for a scenario that is its own baseline).
 */
export function loadFigures(
  bench: string,
  results: Record<string, LoadResult>,
  baselineOf: (scenario: string) => string,
  shape: { connections: number; durationSeconds: number },
): BenchFigure[] {
  return Object.entries(results).map(([scenario, r]) => {
    const baseline = baselineOf(scenario);
    const own = scenario === baseline;
    return {
      bench,
      scenario,
      unit: 'ms',
      median: r.medianMs,
      p95: r.p95Ms,
      p99: r.p99Ms,
      throughput: r.requestsPerSecond,
      baseline: own ? undefined : baseline,
      ratio: own ? undefined : r.requestsPerSecond / results[baseline].requestsPerSecond,
      note: `${shape.connections} connections, ${shape.durationSeconds} s${r.non2xx ? `, ${r.non2xx} non-2xx/errors` : ''}`,
    };
  });
}

const round = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '' : Number(n.toFixed(2)).toString());

export function printTable(figures: BenchFigure[]): void {
  const rows = figures.map((f) => ({
    bench: f.bench,
    scenario: f.scenario,
    median: `${round(f.median)} ${f.unit}`,
    p95: f.p95 === undefined ? '' : `${round(f.p95)} ${f.unit}`,
    p99: f.p99 === undefined ? '' : `${round(f.p99)} ${f.unit}`,
    'throughput/s': round(f.throughput),
    'ratio to baseline': f.ratio === undefined ? '' : `${round(f.ratio)}× ${f.baseline ?? ''}`,
    note: f.note ?? '',
  }));
  console.table(rows);
}

export async function writeResults(figures: BenchFigure[], dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const payload = JSON.stringify({ at: new Date().toISOString(), node: process.version, figures }, null, 2);
  await writeFile(file, payload);
  await writeFile(join(dir, 'latest.json'), payload);
  return file;
}
