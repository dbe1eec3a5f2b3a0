import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { children, parseDer } from '../cms/der';
import { TSP_OID } from './asn1';
import { buildTimeStampReq } from './timestamp-request';

const { Type } = forge.asn1;
const digest = createHash('sha256').update('data').digest();
const oidOf = (node: forge.asn1.Asn1) => forge.asn1.derToOid(node.value as string);
const bytesOf = (node: forge.asn1.Asn1) => Buffer.from(node.value as string, 'latin1');

describe(buildTimeStampReq.name, () => {
  it('is a DER TimeStampReq v1: SHA-256 imprint without parameters, nonce, certReq TRUE', () => {
    const nonce = Buffer.from('0102030405060708', 'hex');
    const sut = buildTimeStampReq({ digest, nonce, certReq: true });
    const [version, imprint, nonceNode, certReq, ...rest] = children(parseDer(sut));
    expect(bytesOf(version)).toEqual(Buffer.of(1));
    const [algorithm, hashed] = children(imprint);
    expect(children(algorithm).map(oidOf)).toEqual([TSP_OID.sha256]);
    expect(bytesOf(hashed)).toEqual(digest);
    expect([nonceNode.type, bytesOf(nonceNode)]).toEqual([Type.INTEGER, nonce]);
    expect([certReq.type, bytesOf(certReq)]).toEqual([Type.BOOLEAN, Buffer.of(0xff)]);
    expect(rest).toEqual([]);
  });

  it('leaves certReq out when false (its DEFAULT), and keeps a nonce with the top bit set positive', () => {
    const sut = buildTimeStampReq({ digest, nonce: Buffer.from('8000000000000001', 'hex'), certReq: false });
    const parts = children(parseDer(sut));
    expect(parts).toHaveLength(3);
    expect(bytesOf(parts[2])).toEqual(Buffer.from('008000000000000001', 'hex'));
  });

  it('drops leading zero octets of the nonce, as DER requires', () => {
    const sut = buildTimeStampReq({ digest, nonce: Buffer.from('0000000000000a0b', 'hex'), certReq: true });
    expect(bytesOf(children(parseDer(sut))[2])).toEqual(Buffer.from('0a0b', 'hex'));
  });

  it('refuses a digest that is not SHA-256 sized, and an empty nonce', () => {
    expect(() => buildTimeStampReq({ digest: Buffer.alloc(20), nonce: Buffer.of(1), certReq: true })).toThrow(
      'A SHA-256 digest is 32 bytes, got 20',
    );
    expect(() => buildTimeStampReq({ digest, nonce: Buffer.alloc(0), certReq: true })).toThrow(
      'A nonce is 1 to 32 bytes',
    );
  });
});
