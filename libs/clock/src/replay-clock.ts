import { AsyncLocalStorage } from 'node:async_hooks';
import { Clock } from './clock';

/**
 * A clock set to a past moment for one piece of work, and only for it: each asynchronous flow started
 * with `at` sees its own moment (several flows run side by side in the history seed), which then runs
 * on in real time, so that what one step writes keeps its order. Outside `at` there is no time to
 * tell, and asking is a mistake: it throws rather than let a record slip into the present.
 */
export class ReplayClock extends Clock {
  private readonly moments = new AsyncLocalStorage<{ at: number; setAt: number }>();

  now(): Date {
    const moment = this.moments.getStore();
    if (!moment) throw new Error('ReplayClock: no moment set (now() outside ReplayClock.at)');
    return new Date(moment.at + Math.floor(performance.now() - moment.setAt));
  }

  /** Runs `work` with the clock at `instant` (and running on from there). */
  at<T>(instant: Date, work: () => Promise<T>): Promise<T> {
    return this.moments.run({ at: instant.getTime(), setAt: performance.now() }, work);
  }
}
