import type { Redis } from 'ioredis';

export interface WindowDecision {
  allowed: boolean;
  /** Until the window ends, when refused; 0 when allowed. */
  msBeforeNext: number;
}

interface WindowState {
  limit: number;
  /** When this key's current window ends (ms since the epoch), as Redis last told us or as we opened it. */
  endsAt: number;
  /** Every process's count as of the last flush's answer, ours included. */
  known: number;
  /** Counted here since that answer: sent in a flush still under way, or not sent yet. */
  inFlight: number;
  pending: number;
}

/**
 * A fixed-window request counter per key that every API process shares through Redis without a Redis round
 * trip per request: each process decides at once from the shared count it last heard plus what it has
 * counted since, and sends its counts every `flushMs` in one pipeline that answers with the new shared
 * counts. The window opens at a key's first request in any process (SET NX PX) and every process learns its
 * end from PTTL. Exact within one process; across N processes a key can overshoot its limit by what the
 * other N − 1 let through within one flush interval. When Redis fails, each process goes on counting alone.
 */
export class BatchedWindowLimiter {
  private readonly windows = new Map<string, WindowState>();
  private readonly timer: NodeJS.Timeout;
  private flushing = false;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly windowMs: number,
    flushMs = 100,
  ) {
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  consume(key: string, limit: number, now = Date.now()): WindowDecision {
    let state = this.windows.get(key);
    if (!state || now >= state.endsAt) {
      state = { limit, endsAt: now + this.windowMs, known: 0, inFlight: 0, pending: 0 };
      this.windows.set(key, state);
    }
    state.limit = limit;
    if (state.known + state.inFlight + state.pending >= limit) {
      return { allowed: false, msBeforeNext: state.endsAt - now };
    }
    state.pending += 1;
    return { allowed: true, msBeforeNext: 0 };
  }

  /** Sends the counts made since the last flush and learns every key's shared count; one pipeline. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    const now = Date.now();
    const sending: Array<[string, WindowState, number]> = [];
    for (const [key, state] of this.windows) {
      if (now >= state.endsAt && state.pending === 0 && state.inFlight === 0) this.windows.delete(key);
      else if (state.pending > 0) sending.push([key, state, state.pending]);
    }
    if (sending.length === 0) return;
    this.flushing = true;
    const pipeline = this.redis.pipeline();
    for (const [key, state, count] of sending) {
      state.inFlight += count;
      state.pending -= count;
      const redisKey = `${this.keyPrefix}:${key}`;
      pipeline.set(redisKey, 0, 'PX', this.windowMs, 'NX').incrby(redisKey, count).pttl(redisKey);
    }
    try {
      const replies = (await pipeline.exec()) ?? [];
      sending.forEach(([, state, count], i) => {
        const [incrError, total] = replies[i * 3 + 1] ?? [];
        const [ttlError, ttl] = replies[i * 3 + 2] ?? [];
        state.inFlight -= count;
        if (incrError || ttlError) {
          state.known += count;
          return;
        }
        state.known = Number(total);
        if (Number(ttl) > 0) state.endsAt = Date.now() + Number(ttl);
      });
    } catch {
      // Redis unreachable: keep these counts as this process's own and go on deciding alone.
      for (const [, state, count] of sending) {
        state.inFlight -= count;
        state.known += count;
      }
    } finally {
      this.flushing = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }
}
