import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AUTH_CONFIG, REDIS_CONFIG, type AuthConfig, type RedisConfig } from '@zhengming/config';
import { RedisConnection } from '@zhengming/queue';

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
export class RateLimits implements OnModuleInit {
  private readonly failures: RateLimiterAbstract;
  private readonly keyLimiters = new Map<number, RateLimiterAbstract>();

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(REDIS_CONFIG) private readonly redisConfig: RedisConfig,
    private readonly redis: RedisConnection,
  ) {
    this.failures = this.limiter('auth-fail', config.maxFailures, config.failureWindowSeconds);
  }

  onModuleInit(): void {
    // The connection is lazy; open it now so limits are shared from the first request.
    if (this.redis.client) void this.redis.ping().catch(() => undefined);
  }

  /** Whether this client may still try to authenticate. */
  async failuresAllowed(client: string): Promise<LimitOutcome> {
    const state = await this.failures.get(client);
    if (state && state.consumedPoints >= this.config.maxFailures) {
      return { allowed: false, retryAfterSeconds: Math.ceil(state.msBeforeNext / 1000) };
    }
    return { allowed: true, retryAfterSeconds: 0 };
  }

  async recordFailure(client: string): Promise<void> {
    await this.failures.penalty(client, 1);
  }

  /** Counts one request against an API key's per-minute allowance. */
  async consumeKey(keyId: string, perMinute: number): Promise<LimitOutcome> {
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
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
      throw rejection;
    }
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
