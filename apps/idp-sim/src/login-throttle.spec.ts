import { LoginThrottle } from './login-throttle';

describe(LoginThrottle.name, () => {
  const MINUTE = 60_000;
  let now: number;
  let sut: LoginThrottle;

  beforeEach(() => {
    now = 1_700_000_000_000;
    sut = new LoginThrottle({ maxFailures: 5, windowMs: 10 * MINUTE, now: () => now });
  });

  function fail(username: string, times: number): void {
    for (let i = 0; i < times; i++) {
      expect(sut.check(username)).toEqual({ allowed: true });
      sut.recordFailure(username);
      now += MINUTE;
    }
  }

  it('allows five wrong passwords and locks the sixth attempt', () => {
    fail('resident-a', 5);
    // The first failure was 5 minutes ago: it leaves the 10-minute window in 5 minutes.
    expect(sut.check('resident-a')).toEqual({ allowed: false, retryAfterSeconds: 300 });
  });

  it('locks the username however it is typed, and only that username', () => {
    fail('resident-a', 5);
    expect(sut.check(' RESIDENT-A').allowed).toBe(false);
    expect(sut.check('resident-b').allowed).toBe(true);
  });

  it('unlocks once the oldest failure leaves the window', () => {
    fail('resident-a', 5);
    now += 5 * MINUTE - 1000;
    expect(sut.check('resident-a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(sut.check('resident-a')).toEqual({ allowed: true });
  });

  it('forgets failures after a successful sign-in', () => {
    fail('resident-a', 4);
    sut.recordSuccess('resident-a');
    fail('resident-a', 4);
    expect(sut.check('resident-a').allowed).toBe(true);
  });

  it('counts unknown usernames like known ones', () => {
    fail('no-such-person', 5);
    expect(sut.check('no-such-person').allowed).toBe(false);
  });

  it('keeps a bounded number of usernames', () => {
    sut = new LoginThrottle({ maxFailures: 1, windowMs: 10 * MINUTE, now: () => now, maxTrackedUsernames: 2 });
    sut.recordFailure('a');
    sut.recordFailure('b');
    sut.recordFailure('c');
    expect(sut.check('a').allowed).toBe(true);
    expect(sut.check('b').allowed).toBe(false);
    expect(sut.check('c').allowed).toBe(false);
  });
});
