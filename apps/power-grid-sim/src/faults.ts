import { z } from 'zod';

/** What the simulated company system does wrong, all off by default. */
export interface Faults {
  /** Share (0..1) of business requests answered 503 before anything is looked at or stored. */
  errorRate: number;
  /** Added to every business request before it is handled. */
  latencyMs: number;
  /** Share (0..1) of handled business requests whose answer is held back by slowMs, after the record is stored. */
  slowRate: number;
  slowMs: number;
}

export const MAX_DELAY_MS = 10 * 60 * 1000;

export const rate = z.number().min(0).max(1);
export const delayMs = z.number().int().min(0).max(MAX_DELAY_MS);

/** Body of PUT /control: any subset of the faults, merged into the current ones. */
export const faultsPatchSchema = z.strictObject({
  errorRate: rate.optional(),
  latencyMs: delayMs.optional(),
  slowRate: rate.optional(),
  slowMs: delayMs.optional(),
});

export type FaultsPatch = z.infer<typeof faultsPatchSchema>;

export const NO_FAULTS: Faults = { errorRate: 0, latencyMs: 0, slowRate: 0, slowMs: 30_000 };
