import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import {
  AUTH_CONFIG,
  REDIS_CONFIG,
  SIGNING_CONFIG,
  VERIFICATION_CONFIG,
  type AuthConfig,
  type RedisConfig,
  type SigningConfig,
  type VerificationConfig,
} from '@zhengming/config';
import { IdentityErrorCode, IdentityException } from '@zhengming/identity';
import { RedisConnection } from '@zhengming/queue';
import { VerificationErrorCode, VerificationException } from '@zhengming/verification';
import { BatchedWindowLimiter } from './batched-window-limiter';

/** What a check that found nothing costs on top of the check itself: guessing runs out five times sooner. */
const MISS_PENALTY = 4;

/**
 * Refusals that look like guessing and count towards an address's limit. An expired token does not:
 * every web session meets one every quarter of an hour and simply refreshes.
 */
const GUESSING: ReadonlySet<string> = new Set([
  IdentityErrorCode.TokenInvalid,
  IdentityErrorCode.ApiKeyInvalid,
  IdentityErrorCode.LoginFailed,
]);

/** Retry-After in whole seconds, at least 1. */
const secondsOf = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export interface LimitOutcome {
  allowed: boolean;
  retryAfterSeconds: number;
}

/**
 * Counters shared by every API process through Redis when it is configured (in memory otherwise, and
 * in memory again while Redis is unreachable): failed sign-ins per client address, and requests per
 * verifier API key.
 */
@Injectable()
export class RateLimits implements OnModuleInit, OnApplicationShutdown {
  private readonly failures: RateLimiterAbstract;
  private readonly anonymousChecks: RateLimiterAbstract;
  /** Per-key counters without Redis, one limiter per allowance. */
  private readonly keyLimiters = new Map<number, RateLimiterAbstract>();
  /** Per-key counters shared through Redis, when it is configured. */
  private readonly keyWindows?: BatchedWindowLimiter;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(REDIS_CONFIG) private readonly redisConfig: RedisConfig,
    @Inject(VERIFICATION_CONFIG) verification: VerificationConfig,
    @Inject(SIGNING_CONFIG) private readonly signing: SigningConfig,
    private readonly redis: RedisConnection,
  ) {
    this.failures = this.limiter('auth-fail', config.maxFailures, config.failureWindowSeconds);
    this.anonymousChecks = this.limiter('verify', verification.publicPerMinute, 60);
    if (redis.client) this.keyWindows = new BatchedWindowLimiter(redis.client, `${redisConfig.keyPrefix}:key`, 60_000);
  }

  onModuleInit(): void {
    // The connection is lazy; open it now so limits are shared from the first request.
    if (this.redis.client) void this.redis.ping().catch(() => undefined);
  }

  /** Refuses (429 AUTH_RATE_LIMITED) a client that has failed too often to try to authenticate again yet. */
  async assertMayAuthenticate(client: string): Promise<void> {
    const state = await this.failures.get(client);
    if (state && state.consumedPoints >= this.config.maxFailures) {
      throw new IdentityException(IdentityErrorCode.RateLimited, {
        retryAfterSeconds: Math.ceil(state.msBeforeNext / 1000),
      });
    }
  }

  /** Counts a refusal against the client when it looks like guessing; other refusals cost nothing. */
  async recordRefusal(client: string, code: string): Promise<void> {
    if (GUESSING.has(code)) await this.failures.penalty(client, 1);
  }

  /** Counts an anonymous verification against the client's allowance; 429 VERIFICATION_RATE_LIMITED once spent. */
  async consumeAnonymousCheck(client: string): Promise<void> {
    try {
      await this.anonymousChecks.consume(client);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw new VerificationException(VerificationErrorCode.RateLimited, {
        retryAfterSeconds: secondsOf(rejection.msBeforeNext),
      });
    }
  }

  /** An anonymous check that identified nothing: charged extra, since that is what guessing looks like. */
  async chargeMiss(client: string): Promise<void> {
    await this.anonymousChecks.penalty(client, MISS_PENALTY);
  }

  /**
   * Counts one request against an API key's per-minute allowance. With Redis the count is shared by every
   * API process without a round trip per request (BatchedWindowLimiter): the verifier API's hot path.
   */
  async consumeKey(keyId: string, perMinute: number): Promise<LimitOutcome> {
    if (this.keyWindows) {
      const decision = this.keyWindows.consume(keyId, perMinute);
      return { allowed: decision.allowed, retryAfterSeconds: secondsOf(decision.msBeforeNext) };
    }
    let limiter = this.keyLimiters.get(perMinute);
    if (!limiter) {
      limiter = this.limiter(`key:${perMinute}`, perMinute, 60);
      this.keyLimiters.set(perMinute, limiter);
    }
    try {
      await limiter.consume(keyId);
      return { allowed: true, retryAfterSeconds: 0 };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSeconds: secondsOf(rejection.msBeforeNext) };
      }
      throw rejection;
    }
  }

  /** Counts one request of an enterprise's system against SEAL_USE_KEY_PER_MINUTE (keys of their own namespace). */
  consumeEnterpriseKey(keyId: string): Promise<LimitOutcome> {
    return this.consumeKey(`enterprise:${keyId}`, this.signing.sealUseKeyPerMinute);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.keyWindows?.close();
  }

  private limiter(name: string, points: number, duration: number): RateLimiterAbstract {
    const keyPrefix = `${this.redisConfig.keyPrefix}:${name}`;
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!this.redis.client) return memory;
    return new RateLimiterRedis({
      storeClient: this.redis.client,
      keyPrefix,
      points,
      duration,
      insuranceLimiter: memory,
    });
  }
}
