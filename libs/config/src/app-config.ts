import { z } from 'zod';
import { environmentSchema, type Environment } from './config.schema';

export interface HttpConfig {
  port: number;
  host: string;
  bodyLimitBytes: number;
  publicBaseUrl: string;
}

export type DatabaseConfig =
  | {
      mode: 'server';
      url: string;
      poolSize: number;
      migrateOnStart: boolean;
      seedOnStart: boolean;
    }
  | {
      mode: 'embedded';
      dataDir: string;
      migrateOnStart: boolean;
      seedOnStart: boolean;
    };

export interface RedisConfig {
  url: string | undefined;
}

export interface LogConfig {
  level: Environment['LOG_LEVEL'];
  pretty: boolean;
}

export interface AppConfig {
  http: HttpConfig;
  database: DatabaseConfig;
  redis: RedisConfig;
  log: LogConfig;
}

/** Raised at boot when the environment is wrong; its message names every offending variable. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super('Invalid configuration (配置错误):\n' + problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'));
    this.name = 'ConfigValidationError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  // Empty strings mean "not set": docker-compose and shells often export VAR= for unset values.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigValidationError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: describeIssue(issue, present[String(issue.path[0])]),
      })),
    );
  }
  const e = parsed.data;
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
      publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    },
    database: e.DATABASE_URL
      ? {
          mode: 'server',
          url: e.DATABASE_URL,
          poolSize: e.DATABASE_POOL_SIZE,
          migrateOnStart: e.DATABASE_MIGRATE_ON_START,
          seedOnStart: e.DATABASE_SEED_ON_START,
        }
      : {
          mode: 'embedded',
          dataDir: e.EMBEDDED_DB_DIR,
          migrateOnStart: e.DATABASE_MIGRATE_ON_START,
          seedOnStart: e.DATABASE_SEED_ON_START,
        },
    redis: { url: e.REDIS_URL },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
  };
}

function describeIssue(issue: z.core.$ZodIssue, received: string | undefined): string {
  // Never echo a URL back: it may carry a password.
  const shown = received === undefined || /:\/\//.test(received) ? '' : ` (got "${received}")`;
  return `${issue.message}${shown}`;
}

/** For entry points: the configuration, or the problems on stderr and exit code 78 (EX_CONFIG). */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
