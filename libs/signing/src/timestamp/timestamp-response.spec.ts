import { contextTag, integer, octetString, sequence } from '../cms/der';
import { derBoolean, implicitPrimitive, PKI_FAILURE, TimestampFormatError, TSP_OID } from './asn1';
import { syntheticResponse, syntheticToken, syntheticTstInfo } from './testing/synthetic-token';
import { parseTimeStampResp, readTimeStampToken } from './timestamp-response';

describe(parseTimeStampResp.name, () => {
  it('reads a rejection: status, the free texts joined, the failInfo bit', () => {
    const der = syntheticResponse(2, { texts: ['bad', '坏的'], failBits: [PKI_FAILURE.badDataFormat] });
    expect(parseTimeStampResp(der)).toEqual({ status: 2, statusText: 'bad; 坏的', failInfo: 5 });
  });

  it('gives the lowest failInfo bit when several are set', () => {
    const der = syntheticResponse(2, { failBits: [PKI_FAILURE.unacceptedPolicy, PKI_FAILURE.badRequest] });
    expect(parseTimeStampResp(der).failInfo).toBe(PKI_FAILURE.badRequest);
  });

  it('returns the token as sent', () => {
    const token = syntheticToken();
    expect(parseTimeStampResp(syntheticResponse(0, { token }))).toEqual({ status: 0, token });
  });

  it.each([
    ['not DER', Buffer.from('hello')],
    ['BER (a long-form length)', Buffer.from('3081053003020100', 'hex')],
    ['trailing bytes', Buffer.concat([syntheticResponse(0), Buffer.of(0)])],
    ['no status', Buffer.from('3000', 'hex')],
    ['a negative status', Buffer.from('30053003020180', 'hex')],
  ])('refuses %s', (_name, der) => {
    expect(() => parseTimeStampResp(der)).toThrow(TimestampFormatError);
  });
});

describe(readTimeStampToken.name, () => {
  it('reads the TSTInfo fields', () => {
    const nonce = Buffer.from('00c0ffee', 'hex');
    const info = readTimeStampToken(
      syntheticToken(
        syntheticTstInfo({
          digest: Buffer.alloc(32, 7),
          nonce,
          serial: Buffer.from('ff00', 'hex'),
          policy: '1.2.3.4',
          beforeNonce: [sequence([integer(2), implicitPrimitive(0, integer(500))]), derBoolean(true)],
          afterNonce: [contextTag(0, [contextTag(4, [sequence([])])])],
        }),
      ),
    );
    expect(info).toEqual({
      genTime: new Date('2026-11-26T02:00:00.120Z'),
      serialHex: 'ff00',
      policy: '1.2.3.4',
      messageImprint: { algorithm: TSP_OID.sha256, digest: Buffer.alloc(32, 7) },
      nonce: Buffer.from('c0ffee', 'hex'),
      accuracy: { seconds: 2, millis: 500, micros: 0 },
    });
  });

  it('has no nonce or TSA certificate when the token has none', () => {
    const info = readTimeStampToken(syntheticToken());
    expect(info.nonce).toBeUndefined();
    expect(info.tsaCertificate).toBeUndefined();
  });

  it.each([
    ['another content type', syntheticToken(syntheticTstInfo(), { eContentType: TSP_OID.data })],
    ['two signers', syntheticToken(syntheticTstInfo(), { signers: 2 })],
    ['a TSTInfo that is not DER', syntheticToken(Buffer.from('not a TSTInfo'))],
    ['a TSTInfo of version 2', syntheticToken(Buffer.from(syntheticTstInfo()).fill(2, 4, 5))],
    [
      'accuracy millis out of range',
      syntheticToken(syntheticTstInfo({ beforeNonce: [sequence([implicitPrimitive(0, integer(1000))])] })),
    ],
    ['fields out of order', syntheticToken(syntheticTstInfo({ afterNonce: [octetString(Buffer.of(1))] }))],
    ['a TimeStampResp instead', syntheticResponse(0, { token: syntheticToken() })],
  ])('refuses a token with %s', (_name, token) => {
    expect(() => readTimeStampToken(token)).toThrow(TimestampFormatError);
  });
});
