export type LogEntry = { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>;
export type Log = (entry: LogEntry) => void;

/**
 * One JSON object per line on stdout, the stand-ins' log format. Callers never pass passwords, secrets,
 * signatures or personal data (identity numbers, phones).
 */
export const writeJsonLine: Log = (entry) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
};
