import type { z } from 'zod';

/** Raised when a stand-in's environment is wrong; its message names every offending variable. */
export class SimConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: { variable: string; message: string }[],
  ) {
    super(
      `Invalid ${app} configuration (配置错误):\n` + problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'SimConfigError';
  }
}

/**
 * A stand-in's environment checked against its schema; empty variables count as unset. A wrong value is
 * echoed in the message, except for the `secrets`.
 */
export function parseSimEnvironment<Schema extends z.ZodType>(
  app: string,
  schema: Schema,
  env: Record<string, string | undefined>,
  secrets: ReadonlySet<string> = new Set(),
): z.infer<Schema> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new SimConfigError(
    app,
    parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      const received = present[variable];
      const shown = received === undefined || secrets.has(variable) ? '' : ` (got "${received}")`;
      return { variable, message: `${issue.message}${shown}` };
    }),
  );
}

/** For an entry point: the configuration, or the problems on stderr and exit code 78 (EX_CONFIG). */
export function configOrExit<Config>(load: () => Config): Config {
  try {
    return load();
  } catch (error) {
    if (error instanceof SimConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
