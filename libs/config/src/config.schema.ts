import { z } from 'zod';

/**
 * Every setting the system reads, one namespace per concern. Nothing outside this library reads
 * process.env: services receive the typed namespace they need.
 */
const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/ }).describe('a postgres:// or postgresql:// connection URL');
const redisUrl = z.url({ protocol: /^rediss?$/ }).describe('a redis:// or rediss:// URL');

export const httpConfigSchema = z.object({
  PORT: port.default(3000),
  HOST: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]).default('0.0.0.0'),
  /** Upper bound for JSON bodies; file uploads have their own limits. */
  HTTP_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(1024 * 1024),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Behind a reverse proxy: take the client address from X-Forwarded-For (rate limits key on it). */
  TRUST_PROXY: bool.default(false),
  /**
   * API processes sharing the port (node:cluster): a whole number, or `auto` for one per CPU. More than
   * one needs a server PostgreSQL and Redis, which the processes share.
   */
  API_WORKERS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)])
    .default(1)
    .describe('a whole number from 1 to 64, or auto'),
});

export const databaseConfigSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  /** Folder of the embedded PostgreSQL (PGlite) used when DATABASE_URL is not set. */
  EMBEDDED_DB_DIR: z.string().min(1).default('./data/pglite'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Apply pending migrations when the API starts (the compose file runs them as a one-shot service instead). */
  DATABASE_MIGRATE_ON_START: bool.default(true),
  /** Seed the district (organizations, certificate types) on start when the tables are empty. */
  DATABASE_SEED_ON_START: bool.default(true),
});

export const redisConfigSchema = z.object({
  REDIS_URL: redisUrl.optional(),
  /** Namespace of every key and queue this deployment keeps in Redis, so environments can share one. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -')
    .default('zm'),
  /**
   * How long a claimed outbox job stays with the process that claimed it before another may take it
   * (a killed worker's jobs, jobs Redis lost). Long enough for the slowest job; topics that call other
   * systems set their own, shorter lease.
   */
  OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(300),
});

export const logConfigSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Human-readable logs for a terminal; JSON (the default) for everything else. */
  LOG_PRETTY: bool.default(false),
});

const base64Key = (minBytes: number) =>
  z
    .string()
    .refine((value) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length >= minBytes, {
      message: `must be base64 of at least ${minBytes} random bytes`,
    });

/** `id:base64key[,id:base64key…]`; each key 32 bytes. Older keys stay listed until no row uses them. */
const keyring = z.string().refine(
  (value) =>
    value.split(',').every((entry) => {
      const [id, key, ...rest] = entry.trim().split(':');
      return (
        rest.length === 0 && /^[A-Za-z0-9_-]{1,32}$/.test(id ?? '') && Buffer.from(key ?? '', 'base64').length === 32
      );
    }),
  { message: 'must be a comma-separated list of keyId:base64(32 bytes)' },
);

export const piiConfigSchema = z.object({
  PII_ENCRYPTION_KEYS: keyring,
  /** Key id new values are encrypted under; defaults to the first listed key. */
  PII_ACTIVE_KEY_ID: z.string().optional(),
  PII_HASH_KEY: base64Key(32),
});

const seconds = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const authConfigSchema = z.object({
  /** The identity platform; by default the simulator that `npm start` runs beside the API. */
  OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  /** Port of that simulator (`apps/idp-sim`); the default OIDC_ISSUER is http://localhost:<this port>. */
  IDP_SIM_PORT: port.default(3001),
  OIDC_CLIENT_ID: z.string().min(1).default('zhengming'),
  OIDC_CLIENT_SECRET: z.string().min(16),
  /** Defaults to PUBLIC_BASE_URL + /api/auth/callback. */
  OIDC_REDIRECT_URI: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_SCOPES: z.string().default('openid profile phone real_name'),
  SESSION_ACCESS_TTL_SECONDS: seconds(30, 3600).default(900),
  SESSION_REFRESH_TTL_SECONDS: seconds(300, 90 * 24 * 3600).default(7 * 24 * 3600),
  /** Failed sign-ins and bad tokens tolerated per client address and window before 429. */
  AUTH_MAX_FAILURES: z.coerce.number().int().min(1).max(10000).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: seconds(1, 24 * 3600).default(300),
});

export const storageConfigSchema = z.object({
  /** Where materials and issued PDFs are kept: a local folder (default) or S3-compatible object storage. */
  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  STORAGE_LOCAL_DIR: z.string().min(1).default('./data/files'),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name')
    .optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Most S3-compatible servers (MinIO, Ceph) want path-style addressing. */
  S3_FORCE_PATH_STYLE: bool.default(true),
});

export const materialsConfigSchema = z.object({
  /** Largest single uploaded material, in bytes. */
  MATERIAL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(100 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  /** Most materials one application may hold across all its requirements. */
  MATERIAL_MAX_FILES: z.coerce.number().int().min(1).max(200).default(40),
});

export const smsConfigSchema = z.object({
  /** `log` writes each text message to the log (development); `http` posts it to an SMS gateway. */
  SMS_DRIVER: z.enum(['log', 'http']).default('log'),
  SMS_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  SMS_GATEWAY_TOKEN: z.string().min(16).optional(),
  SMS_SIGN_NAME: z.string().min(1).max(20).default('增城区电子证明'),
});

export const signingConfigSchema = z.object({
  /** Where seal and signing keys live: encrypted in the database (`software`) or in an HSM (`pkcs11`). */
  KEY_STORE: z.enum(['software', 'pkcs11']).default('software'),
  /** Key-encryption keys of the software store, `id:base64(32 bytes)`; the first (or KEY_ENCRYPTION_ACTIVE_KEY_ID) wraps new keys. */
  KEY_ENCRYPTION_KEYS: keyring.optional(),
  KEY_ENCRYPTION_ACTIVE_KEY_ID: z.string().optional(),
  PKCS11_LIBRARY: z.string().min(1).default('/usr/lib/softhsm/libsofthsm2.so'),
  PKCS11_TOKEN_LABEL: z.string().min(1).max(32).optional(),
  PKCS11_PIN: z.string().min(4).optional(),
  /** Algorithm of new keys; P-256 by measurement (see README), RSA-2048 for relying parties that need it. */
  SIGNING_KEY_ALGORITHM: z.enum(['ec-p256', 'rsa-2048']).default('ec-p256'),
  /**
   * Worker threads that render certificate PDFs, so rendering never blocks the event loop. Default:
   * one core fewer than the machine has (at least one), leaving a core to the event loop that signs
   * and talks to the database; measured best on two cores (README, Issuing).
   */
  CERTIFICATE_RENDER_THREADS: z.coerce.number().int().min(1).max(32).optional(),
  /** Largest PDF an enterprise may upload to have sealed (用章服务). */
  SEAL_USE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(100 * 1024 * 1024)
    .default(20 * 1024 * 1024),
  /** Requests a minute one enterprise API key (zes_…) may make: a seal use costs a signature and a time-stamp. */
  SEAL_USE_KEY_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
});

export const verificationConfigSchema = z.object({
  /** Anonymous checks (the public page, API calls without a key) per client address and minute; a miss costs 5. */
  VERIFY_PUBLIC_PER_MINUTE: z.coerce.number().int().min(5).max(100000).default(60),
  /** Largest PDF accepted for the PDF check. */
  VERIFY_PDF_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(100 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  /** Lifetime of the presentation QR a resident shows: a screenshot stops working after this. */
  PRESENTATION_TTL_SECONDS: seconds(30, 1800).default(300),
});

export const powerGridConfigSchema = z.object({
  /** The power-supply company's business system; by default the stand-in that `npm start` runs. */
  POWER_GRID_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Port of that stand-in (`apps/power-grid-sim`); the default POWER_GRID_URL is http://127.0.0.1:<this port>. */
  POWER_GRID_SIM_PORT: port.default(3002),
  /** Shared with the company: every delivery carries an HMAC-SHA256 under it. */
  POWER_GRID_HMAC_SECRET: z.string().min(16),
  /** How long one delivery waits for the company's answer before it counts as failed and is retried. */
  POWER_GRID_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  /** With the default backoff (capped at 10 min) 30 attempts cover about four hours of the company being away. */
  POWER_GRID_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(30),
  /** Exponential backoff with full jitter between attempts: first delay around this… */
  POWER_GRID_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
  /** …doubling up to this. */
  POWER_GRID_RETRY_MAX_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(24 * 3_600_000)
    .default(10 * 60_000),
});

export const timestampConfigSchema = z.object({
  /**
   * The RFC 3161 time-stamping authority every signature is stamped by (PAdES B-T); by default the
   * stand-in that `npm start` runs (`apps/tsa-sim`); `off` signs without time-stamps (B-B).
   */
  TSA_URL: z.union([z.literal('off'), z.url({ protocol: /^https?$/ })]).optional(),
  /** Port of that stand-in; the default TSA_URL is http://127.0.0.1:<this port>. */
  TSA_SIM_PORT: port.default(3003),
  /** How long one time-stamp request may take, connecting and reading the answer included. */
  TSA_TIMEOUT_MS: z.coerce.number().int().min(200).max(120_000).default(10_000),
  /** PEM file of further roots a TSA certificate may chain to (a national TSA's), besides the district root. */
  TSA_TRUSTED_ROOTS_FILE: z.string().min(1).optional(),
});

export const issuingConfigSchema = z.object({
  /**
   * Attempts of one certificate's issue job; with the default backoff (capped at 10 min) about four hours.
   * Attempts that fail because the TSA is away do not count: issuing waits for it however long.
   */
  CERTIFICATE_ISSUE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(30),
  /** Approvals issued together (one transaction to reserve their numbers, one to record them): 1 for one by one. */
  CERTIFICATE_ISSUE_BATCH: z.coerce.number().int().min(1).max(100).default(10),
  /** Exponential backoff with full jitter between attempts (the TSA down, say): first delay around this… */
  CERTIFICATE_ISSUE_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(2_000),
  /** …doubling up to this. */
  CERTIFICATE_ISSUE_RETRY_MAX_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(24 * 3_600_000)
    .default(10 * 60_000),
});

export const reportsConfigSchema = z.object({
  /** How often the statistics roll-ups are recounted from what changed (the worker, or the API without Redis). */
  REPORTS_REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
});

export const environmentSchema = httpConfigSchema
  .extend(databaseConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(logConfigSchema.shape)
  .extend(piiConfigSchema.shape)
  .extend(authConfigSchema.shape)
  .extend(storageConfigSchema.shape)
  .extend(materialsConfigSchema.shape)
  .extend(smsConfigSchema.shape)
  .extend(signingConfigSchema.shape)
  .extend(verificationConfigSchema.shape)
  .extend(powerGridConfigSchema.shape)
  .extend(timestampConfigSchema.shape)
  .extend(issuingConfigSchema.shape)
  .extend(reportsConfigSchema.shape);

export type Environment = z.infer<typeof environmentSchema>;
