import { normalizeUsername } from './people-directory';

export interface LoginThrottleOptions {
  maxFailures: number;
  windowMs: number;
  now?: () => number;
  /** Bounds memory when someone sprays made-up usernames. */
  maxTrackedUsernames?: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Failed sign-ins per username in a sliding window. Counted per username, known or not, so that the
 * answer for an unknown user is the same as for a known one. A locked username stays locked until the
 * oldest of its counted failures leaves the window, even when the right password is then given.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly maxTracked: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.now = options.now ?? Date.now;
    this.maxTracked = options.maxTrackedUsernames ?? 10_000;
  }

  check(username: string): ThrottleVerdict {
    const recent = this.recentFailures(normalizeUsername(username));
    if (recent.length < this.options.maxFailures) return { allowed: true };
    const unlocksAt = recent[recent.length - this.options.maxFailures] + this.options.windowMs;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((unlocksAt - this.now()) / 1000)) };
  }

  recordFailure(username: string): void {
    const key = normalizeUsername(username);
    const recent = this.recentFailures(key);
    recent.push(this.now());
    this.failures.delete(key);
    this.failures.set(key, recent);
    if (this.failures.size > this.maxTracked) this.evict();
  }

  recordSuccess(username: string): void {
    this.failures.delete(normalizeUsername(username));
  }

  private recentFailures(key: string): number[] {
    const since = this.now() - this.options.windowMs;
    return (this.failures.get(key) ?? []).filter((at) => at > since);
  }

  private evict(): void {
    for (const key of [...this.failures.keys()]) {
      if (this.recentFailures(key).length === 0) this.failures.delete(key);
    }
    // Still too many: forget the usernames that failed longest ago (Map order is insertion order).
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxTracked) break;
      this.failures.delete(key);
    }
  }
}
