import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TIMESTAMP_CONFIG, type TimestampConfig } from '@zhengming/config';
import type { SignatureTimestamper } from '../cms/cades-signed-data';
import { TimestampClient } from './timestamp-client';

/**
 * Tokens of one TSA differ by a few bytes at most (serial number, nonce and signature lengths, the
 * fraction of genTime): this much over the largest seen so far is room enough.
 */
const TOKEN_SIZE_MARGIN = 64;

/**
 * The district's signature time-stamps (PAdES B-T) through the TSA of TSA_URL. A signature's
 * /Contents is reserved before it is made and its token comes after, so the service also says how
 * large a token to expect: it learns that from the TSA itself, with one probe the first time and
 * from every token after.
 */
@Injectable()
export class TimestampService implements SignatureTimestamper {
  private readonly logger = new Logger(TimestampService.name);
  private readonly client: TimestampClient | null;
  private largestToken = 0;

  constructor(@Inject(TIMESTAMP_CONFIG) config: TimestampConfig) {
    this.client = config.url ? new TimestampClient({ url: config.url, timeoutMs: config.timeoutMs }) : null;
  }

  /** Whether signatures are time-stamped (TSA_URL is not `off`). */
  get enabled(): boolean {
    return this.client !== null;
  }

  /** Itself when enabled, to hand to the signing functions; undefined otherwise (B-B). */
  get timestamper(): SignatureTimestamper | undefined {
    return this.client ? this : undefined;
  }

  async stamp(data: Buffer): Promise<{ token: Buffer; genTime: Date }> {
    if (!this.client) throw new Error('Time-stamping is off (TSA_URL=off)');
    const result = await this.client.stamp(data);
    if (result.token.length > this.largestToken) {
      this.largestToken = result.token.length;
      this.logger.log({ bytes: result.token.length }, 'largest time-stamp token so far');
    }
    return result;
  }

  /**
   * Bytes to reserve for a token (0 when off). The first call asks the TSA for a token over random
   * data, so it fails as a stamp would (TimestampError) when the TSA is away.
   */
  async tokenReserve(): Promise<number> {
    if (!this.client) return 0;
    if (this.largestToken === 0) await this.stamp(randomBytes(32));
    return this.largestToken + TOKEN_SIZE_MARGIN;
  }
}
