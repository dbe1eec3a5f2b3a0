import { Injectable, Logger } from '@nestjs/common';
import { maskPhone } from '@zhengming/pii';
import type { SmsConfig } from '@zhengming/config';

export interface TextMessage {
  /** A mainland mobile number, 11 digits. */
  to: string;
  text: string;
  /** The same key for a retry of the same message: the gateway sends it once. */
  idempotencyKey: string;
}

/** The SMS port: the adapter is chosen by SMS_DRIVER. */
export abstract class SmsSender {
  abstract send(message: TextMessage): Promise<{ messageId: string }>;
}

/** Development: the text goes to the log, with the number masked. */
@Injectable()
export class LoggingSmsSender extends SmsSender {
  private readonly logger = new Logger('SMS');

  async send(message: TextMessage): Promise<{ messageId: string }> {
    this.logger.log(`短信 → ${maskPhone(message.to)}: ${message.text}`);
    return { messageId: `log-${message.idempotencyKey}` };
  }
}

export class SmsGatewayError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SmsGatewayError';
  }
}

/**
 * An HTTP SMS gateway: `POST <url>` with a JSON body `{ to, sign, text }`, a bearer token and the
 * Idempotency-Key header; answers `{ messageId }`. A failure throws, and the outbox retries it.
 */
export class HttpSmsSender extends SmsSender {
  constructor(
    private readonly config: Extract<SmsConfig, { driver: 'http' }>,
    private readonly timeoutMs = 10_000,
  ) {
    super();
  }

  async send(message: TextMessage): Promise<{ messageId: string }> {
    const response = await fetch(this.config.gatewayUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.config.gatewayToken}`,
        'content-type': 'application/json',
        'idempotency-key': message.idempotencyKey,
      },
      body: JSON.stringify({ to: message.to, sign: this.config.signName, text: message.text }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new SmsGatewayError(`SMS gateway answered ${response.status}`, response.status);
    const body = (await response.json().catch(() => ({}))) as { messageId?: unknown };
    if (typeof body.messageId !== 'string') throw new SmsGatewayError('SMS gateway answered without a messageId');
    return { messageId: body.messageId };
  }
}
