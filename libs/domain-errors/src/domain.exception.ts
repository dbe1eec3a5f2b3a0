/**
 * The one error shape of the system: a stable machine code (English, UPPER_SNAKE), a message for the
 * person in front of the screen (zh-CN) and optional structured details. Each bounded context
 * subclasses it with its own code enum and message catalogue; the API maps codes to HTTP statuses in
 * one exhaustive table and the worker maps them to retry or give up.
 */
export class DomainException<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A context's catalogue: every code has exactly one Chinese message. */
export type MessageCatalogue<Code extends string> = Readonly<Record<Code, string>>;
