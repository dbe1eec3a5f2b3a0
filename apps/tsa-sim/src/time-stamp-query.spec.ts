import {
  contextTag,
  derNull,
  encodeDer,
  integer,
  octetString,
  oid,
  sequence,
  unsignedInteger,
  type Asn1,
} from '../../../libs/signing/src/cms/der';
import { derBoolean, PKI_FAILURE, TSP_OID } from '../../../libs/signing/src/timestamp/asn1';
import { buildTimeStampReq } from '../../../libs/signing/src/timestamp/timestamp-request';
import { readTimeStampQuery } from './time-stamp-query';
import { DEFAULT_POLICY } from './tsa-sim.config';

const DIGEST = Buffer.alloc(32, 0x5a);
const imprint = (hash: string = TSP_OID.sha256, digest = DIGEST, parameters: Asn1[] = []) =>
  sequence([sequence([oid(hash), ...parameters]), octetString(digest)]);
const query = (...parts: Asn1[]) => encodeDer(sequence([integer(1), ...parts]));
const read = (der: Buffer) => readTimeStampQuery(der, DEFAULT_POLICY);

describe(readTimeStampQuery.name, () => {
  it('takes our client’s query: the imprint and nonce as sent, certReq', () => {
    const verdict = read(buildTimeStampReq({ digest: DIGEST, nonce: Buffer.of(0x80, 1), certReq: true }));
    if (verdict.kind !== 'query') throw new Error(`expected a query, got ${verdict.kind}`);
    expect(encodeDer(verdict.query.messageImprint)).toEqual(encodeDer(imprint()));
    expect(encodeDer(verdict.query.nonce!)).toEqual(encodeDer(unsignedInteger(Buffer.of(0x80, 1))));
    expect(verdict.query.certReq).toBe(true);
  });

  it('takes a query without nonce or certReq, NULL hash parameters, SHA-512, and our own policy', () => {
    const verdict = read(query(imprint(TSP_OID.sha256, DIGEST, [derNull()])));
    expect(verdict).toMatchObject({ kind: 'query', query: { certReq: false } });
    expect(verdict).not.toHaveProperty('query.nonce');
    expect(
      read(query(imprint(TSP_OID.sha512, Buffer.alloc(64)), oid(DEFAULT_POLICY), derBoolean(false))),
    ).toMatchObject({ kind: 'query' });
  });

  it.each<[string, Buffer, keyof typeof PKI_FAILURE]>([
    ['SHA-1', query(imprint(TSP_OID.sha1, Buffer.alloc(20))), 'badAlg'],
    ['hash parameters other than NULL', query(imprint(TSP_OID.sha256, DIGEST, [integer(0)])), 'badAlg'],
    ['version 0', encodeDer(sequence([integer(0), imprint()])), 'badRequest'],
    ['a 65-octet nonce', query(imprint(), unsignedInteger(Buffer.alloc(65, 1))), 'badRequest'],
    ['a SHA-384-sized SHA-256 digest', query(imprint(TSP_OID.sha256, Buffer.alloc(48))), 'badDataFormat'],
    ['no imprint', query(), 'badDataFormat'],
    ['an imprint that is no SEQUENCE', query(octetString(DIGEST)), 'badDataFormat'],
    ['certReq before the nonce', query(imprint(), derBoolean(true), integer(5)), 'badDataFormat'],
    ['another policy', query(imprint(), oid('1.3.6.1.4.1.32473.2')), 'unacceptedPolicy'],
    ['extensions', query(imprint(), contextTag(0, [sequence([])])), 'unacceptedExtension'],
    // The same query with a long-form length where a short one fits: BER, not DER.
    ['BER', Buffer.concat([Buffer.of(0x30, 0x81), query(imprint()).subarray(1)]), 'badDataFormat'],
  ])('rejects %s', (_name, der, failure) => {
    expect(read(der)).toEqual({ kind: 'rejection', failInfo: PKI_FAILURE[failure], text: expect.any(String) });
  });

  it('calls bytes that are not DER not_der', () => {
    expect(read(Buffer.from('POST / HTTP/1.1'))).toEqual({ kind: 'not_der' });
    expect(read(Buffer.alloc(0))).toEqual({ kind: 'not_der' });
  });
});
