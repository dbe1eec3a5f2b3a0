import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import type { AuditActorType, AuditOutcome } from './audit-event.entity';

/** The hash the first event links to. */
export const GENESIS_HASH = '0'.repeat(64);

/** Sorted keys, no whitespace, no silent dropping of odd values: the same event always serialises alike. */
const canonicalJson = configure({ deterministic: true, strict: true, bigint: false, circularValue: Error });

export interface ChainedAuditEvent {
  seq: string;
  occurredAt: Date;
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  outcome: AuditOutcome;
  objectType: string | null;
  objectId: string | null;
  organizationId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  prevHash: string;
}

/** The canonical serialisation every link's hash is computed over. */
export function canonicalAuditEvent(event: ChainedAuditEvent): string {
  return canonicalJson({
    seq: event.seq,
    occurredAt: event.occurredAt.toISOString(),
    actorType: event.actorType,
    actorId: event.actorId,
    action: event.action,
    outcome: event.outcome,
    objectType: event.objectType,
    objectId: event.objectId,
    organizationId: event.organizationId,
    requestId: event.requestId,
    details: event.details,
    prevHash: event.prevHash,
  })!;
}

export function auditEventHash(event: ChainedAuditEvent): string {
  return createHash('sha256').update(canonicalAuditEvent(event)).digest('hex');
}

export type ChainBreak =
  | { seq: string; reason: 'hash-mismatch'; expected: string; stored: string }
  | { seq: string; reason: 'broken-link'; expected: string; stored: string }
  | { seq: string; reason: 'gap'; expected: string; stored: string };

/**
 * Walks events in order and returns the first break, or undefined. Feed it successive pages; it
 * keeps the running head between calls.
 */
export class AuditChainVerifier {
  private previousHash = GENESIS_HASH;
  private nextSeq = 1n;
  checked = 0;

  get head(): { seq: string; hash: string } {
    return { seq: String(this.nextSeq - 1n), hash: this.previousHash };
  }

  check(event: ChainedAuditEvent & { hash: string }): ChainBreak | undefined {
    if (BigInt(event.seq) !== this.nextSeq) {
      return { seq: event.seq, reason: 'gap', expected: String(this.nextSeq), stored: event.seq };
    }
    if (event.prevHash !== this.previousHash) {
      return { seq: event.seq, reason: 'broken-link', expected: this.previousHash, stored: event.prevHash };
    }
    const expected = auditEventHash(event);
    if (expected !== event.hash) return { seq: event.seq, reason: 'hash-mismatch', expected, stored: event.hash };
    this.previousHash = event.hash;
    this.nextSeq += 1n;
    this.checked += 1;
    return undefined;
  }
}
