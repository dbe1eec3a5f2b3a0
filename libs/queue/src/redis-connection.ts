import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { REDIS_CONFIG, type RedisConfig } from '@zhengming/config';

/**
 * The Redis connection of a process, when REDIS_URL is set. Without it the system runs its jobs
 * in-process from the outbox (DESIGN.md §6), so `client` is undefined and nothing connects.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client: Redis | undefined;

  constructor(@Inject(REDIS_CONFIG) config: RedisConfig) {
    this.client = config.url
      ? new Redis(config.url, {
          lazyConnect: true,
          // Fail fast instead of queueing commands while Redis is away: callers decide what to do.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectionName: 'zhengming',
        })
      : undefined;
    // An unreachable Redis is reported by the readiness check; unhandled, ioredis would crash the process.
    this.client?.on('error', () => undefined);
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  async ping(): Promise<string> {
    if (!this.client) throw new Error('Redis is not configured');
    if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect();
    return this.client.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client && this.client.status !== 'end') this.client.disconnect();
  }
}
