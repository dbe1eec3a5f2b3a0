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
});

export const logConfigSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Human-readable logs for a terminal; JSON (the default) for everything else. */
  LOG_PRETTY: bool.default(false),
});

export const environmentSchema = httpConfigSchema
  .extend(databaseConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(logConfigSchema.shape);

export type Environment = z.infer<typeof environmentSchema>;
