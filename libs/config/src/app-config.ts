import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { environmentSchema, type Environment } from './config.schema';
import { withDevelopmentSecrets } from './development-secrets';

export interface HttpConfig {
  port: number;
  host: string;
  bodyLimitBytes: number;
  publicBaseUrl: string;
  trustProxy: boolean;
  /** API processes sharing the port; 1 runs the API in this process. */
  workers: number;
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
  keyPrefix: string;
  outboxLeaseMs: number;
}

export interface LogConfig {
  level: Environment['LOG_LEVEL'];
  pretty: boolean;
}

export interface PiiConfig {
  encryptionKeys: ReadonlyMap<string, Buffer>;
  activeKeyId: string;
  hashKey: Buffer;
}

export interface AuthConfig {
  oidc: { issuer: string; clientId: string; clientSecret: string; redirectUri: string; scopes: string };
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** Cookies get the Secure flag when the public address is https. */
  secureCookies: boolean;
  maxFailures: number;
  failureWindowSeconds: number;
}

export type StorageConfig =
  | { driver: 'local'; localDir: string }
  | {
      driver: 's3';
      endpoint: string | undefined;
      region: string;
      bucket: string;
      accessKeyId: string;
      secretAccessKey: string;
      forcePathStyle: boolean;
    };

export interface MaterialsConfig {
  maxBytes: number;
  maxFiles: number;
}

export type SmsConfig =
  { driver: 'log'; signName: string } | { driver: 'http'; gatewayUrl: string; gatewayToken: string; signName: string };

export type KeyStoreConfig =
  | { kind: 'software'; keys: Map<string, Buffer>; activeKeyId: string }
  | { kind: 'pkcs11'; library: string; tokenLabel: string; pin: string };

export interface SigningConfig {
  keyStore: KeyStoreConfig;
  algorithm: 'ec-p256' | 'rsa-2048';
  renderThreads: number;
  sealUseMaxBytes: number;
  /** Requests a minute per enterprise API key. */
  sealUseKeyPerMinute: number;
}

export interface VerificationConfig {
  publicPerMinute: number;
  pdfMaxBytes: number;
  presentationTtlSeconds: number;
}

export interface PowerGridConfig {
  url: string;
  simPort: number;
  hmacSecret: string;
  timeoutMs: number;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
}

export interface TimestampConfig {
  /** The TSA's RFC 3161 endpoint; null: signatures are not time-stamped. */
  url: string | null;
  simPort: number;
  timeoutMs: number;
  /** Absolute path of a PEM file of further TSA roots, or null. */
  trustedRootsFile: string | null;
}

export interface IssuingConfig {
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** Approvals a worker issues together. */
  batchSize: number;
}

export interface ReportsConfig {
  refreshIntervalMs: number;
}

export interface AppConfig {
  http: HttpConfig;
  database: DatabaseConfig;
  redis: RedisConfig;
  log: LogConfig;
  pii: PiiConfig;
  auth: AuthConfig;
  storage: StorageConfig;
  materials: MaterialsConfig;
  sms: SmsConfig;
  signing: SigningConfig;
  verification: VerificationConfig;
  powerGrid: PowerGridConfig;
  timestamp: TimestampConfig;
  issuing: IssuingConfig;
  reports: ReportsConfig;
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
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const encryptionKeys = keyringOf(e.PII_ENCRYPTION_KEYS);
  const activeKeyId = e.PII_ACTIVE_KEY_ID ?? encryptionKeys.keys().next().value!;
  if (!encryptionKeys.has(activeKeyId)) {
    throw new ConfigValidationError([
      { variable: 'PII_ACTIVE_KEY_ID', message: 'must name a key of PII_ENCRYPTION_KEYS' },
    ]);
  }
  const workers = e.API_WORKERS === 'auto' ? availableParallelism() : e.API_WORKERS;
  if (workers > 1 && !(e.DATABASE_URL && e.REDIS_URL)) {
    throw new ConfigValidationError([
      {
        variable: 'API_WORKERS',
        message:
          '多个 API 进程须共用服务器 PostgreSQL 和 Redis；more than one API process needs DATABASE_URL and REDIS_URL (they share them)',
      },
    ]);
  }
  const storage = storageConfigOf(e);
  const sms = smsConfigOf(e);
  const signing = signingConfigOf(e);
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
      publicBaseUrl,
      trustProxy: e.TRUST_PROXY,
      workers,
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
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX, outboxLeaseMs: e.OUTBOX_LEASE_SECONDS * 1000 },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    pii: { encryptionKeys, activeKeyId, hashKey: Buffer.from(e.PII_HASH_KEY, 'base64') },
    auth: {
      oidc: {
        issuer: (e.OIDC_ISSUER ?? `http://localhost:${e.IDP_SIM_PORT}`).replace(/\/+$/, ''),
        clientId: e.OIDC_CLIENT_ID,
        clientSecret: e.OIDC_CLIENT_SECRET,
        redirectUri: e.OIDC_REDIRECT_URI ?? `${publicBaseUrl}/api/auth/callback`,
        scopes: e.OIDC_SCOPES,
      },
      accessTtlSeconds: e.SESSION_ACCESS_TTL_SECONDS,
      refreshTtlSeconds: e.SESSION_REFRESH_TTL_SECONDS,
      secureCookies: publicBaseUrl.startsWith('https:'),
      maxFailures: e.AUTH_MAX_FAILURES,
      failureWindowSeconds: e.AUTH_FAILURE_WINDOW_SECONDS,
    },
    storage,
    materials: { maxBytes: e.MATERIAL_MAX_BYTES, maxFiles: e.MATERIAL_MAX_FILES },
    sms,
    signing,
    verification: {
      publicPerMinute: e.VERIFY_PUBLIC_PER_MINUTE,
      pdfMaxBytes: e.VERIFY_PDF_MAX_BYTES,
      presentationTtlSeconds: e.PRESENTATION_TTL_SECONDS,
    },
    powerGrid: {
      url: (e.POWER_GRID_URL ?? `http://127.0.0.1:${e.POWER_GRID_SIM_PORT}`).replace(/\/+$/, ''),
      simPort: e.POWER_GRID_SIM_PORT,
      hmacSecret: e.POWER_GRID_HMAC_SECRET,
      timeoutMs: e.POWER_GRID_TIMEOUT_MS,
      retry: {
        maxAttempts: e.POWER_GRID_MAX_ATTEMPTS,
        baseDelayMs: e.POWER_GRID_RETRY_BASE_MS,
        maxDelayMs: e.POWER_GRID_RETRY_MAX_MS,
      },
    },
    timestamp: {
      url: e.TSA_URL === 'off' ? null : (e.TSA_URL ?? `http://127.0.0.1:${e.TSA_SIM_PORT}/`),
      simPort: e.TSA_SIM_PORT,
      timeoutMs: e.TSA_TIMEOUT_MS,
      trustedRootsFile: e.TSA_TRUSTED_ROOTS_FILE === undefined ? null : resolve(e.TSA_TRUSTED_ROOTS_FILE),
    },
    issuing: {
      retry: {
        maxAttempts: e.CERTIFICATE_ISSUE_MAX_ATTEMPTS,
        baseDelayMs: e.CERTIFICATE_ISSUE_RETRY_BASE_MS,
        maxDelayMs: e.CERTIFICATE_ISSUE_RETRY_MAX_MS,
      },
      batchSize: e.CERTIFICATE_ISSUE_BATCH,
    },
    reports: { refreshIntervalMs: e.REPORTS_REFRESH_SECONDS * 1000 },
  };
}

function storageConfigOf(e: Environment): StorageConfig {
  if (e.STORAGE_DRIVER === 'local') return { driver: 'local', localDir: e.STORAGE_LOCAL_DIR };
  const missing = (['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const).filter((name) => !e[name]);
  if (missing.length > 0) {
    throw new ConfigValidationError(
      missing.map((variable) => ({ variable, message: 'is required when STORAGE_DRIVER=s3' })),
    );
  }
  return {
    driver: 's3',
    endpoint: e.S3_ENDPOINT,
    region: e.S3_REGION,
    bucket: e.S3_BUCKET!,
    accessKeyId: e.S3_ACCESS_KEY_ID!,
    secretAccessKey: e.S3_SECRET_ACCESS_KEY!,
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
  };
}

function smsConfigOf(e: Environment): SmsConfig {
  if (e.SMS_DRIVER === 'log') return { driver: 'log', signName: e.SMS_SIGN_NAME };
  const missing = (['SMS_GATEWAY_URL', 'SMS_GATEWAY_TOKEN'] as const).filter((name) => !e[name]);
  if (missing.length > 0) {
    throw new ConfigValidationError(
      missing.map((variable) => ({ variable, message: 'is required when SMS_DRIVER=http' })),
    );
  }
  return {
    driver: 'http',
    gatewayUrl: e.SMS_GATEWAY_URL!,
    gatewayToken: e.SMS_GATEWAY_TOKEN!,
    signName: e.SMS_SIGN_NAME,
  };
}

function keyringOf(value: string): Map<string, Buffer> {
  return new Map(
    value.split(',').map((entry) => {
      const [id, key] = entry.trim().split(':');
      return [id, Buffer.from(key, 'base64')] as const;
    }),
  );
}

function signingConfigOf(e: Environment): SigningConfig {
  const common = {
    algorithm: e.SIGNING_KEY_ALGORITHM,
    renderThreads: e.CERTIFICATE_RENDER_THREADS ?? Math.max(1, availableParallelism() - 1),
    sealUseMaxBytes: e.SEAL_USE_MAX_BYTES,
    sealUseKeyPerMinute: e.SEAL_USE_KEY_PER_MINUTE,
  };
  if (e.KEY_STORE === 'pkcs11') {
    const missing = (['PKCS11_TOKEN_LABEL', 'PKCS11_PIN'] as const).filter((name) => !e[name]);
    if (missing.length > 0) {
      throw new ConfigValidationError(
        missing.map((variable) => ({ variable, message: 'is required when KEY_STORE=pkcs11' })),
      );
    }
    return {
      ...common,
      keyStore: { kind: 'pkcs11', library: e.PKCS11_LIBRARY, tokenLabel: e.PKCS11_TOKEN_LABEL!, pin: e.PKCS11_PIN! },
    };
  }
  if (!e.KEY_ENCRYPTION_KEYS) {
    throw new ConfigValidationError([
      { variable: 'KEY_ENCRYPTION_KEYS', message: 'is required when KEY_STORE=software' },
    ]);
  }
  const keys = keyringOf(e.KEY_ENCRYPTION_KEYS);
  const activeKeyId = e.KEY_ENCRYPTION_ACTIVE_KEY_ID ?? keys.keys().next().value!;
  if (!keys.has(activeKeyId)) {
    throw new ConfigValidationError([
      { variable: 'KEY_ENCRYPTION_ACTIVE_KEY_ID', message: 'must name a key of KEY_ENCRYPTION_KEYS' },
    ]);
  }
  return { ...common, keyStore: { kind: 'software', keys, activeKeyId } };
}

function describeIssue(issue: z.core.$ZodIssue, received: string | undefined): string {
  // Never echo a URL back: it may carry a password.
  const shown = received === undefined || /:\/\//.test(received) ? '' : ` (got "${received}")`;
  return `${issue.message}${shown}`;
}

/** For entry points: the configuration, or the problems on stderr and exit code 78 (EX_CONFIG). */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): AppConfig {
  try {
    return loadRuntimeConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/** What entry points use: the environment, completed with development secrets when running embedded. */
export function loadRuntimeConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  return loadConfig(withDevelopmentSecrets(env));
}
