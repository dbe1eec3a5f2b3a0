export type LogEntry = { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>;
export type Log = (entry: LogEntry) => void;

/** One JSON object per line on stdout. Callers never pass secrets, signatures or personal data. */
export const writeJsonLine: Log = (entry) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
};
