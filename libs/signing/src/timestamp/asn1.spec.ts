import { encodeDer, parseDer } from '../cms/der';
import {
  derBoolean,
  generalizedTime,
  namedBitString,
  PKI_FAILURE,
  readBoolean,
  readGeneralizedTime,
  readNamedBits,
  readUnsignedInteger,
  TimestampFormatError,
  utf8String,
} from './asn1';

const hex = (value: string) => Buffer.from(value.replace(/\s/g, ''), 'hex');

describe('DER primitives for RFC 3161', () => {
  it.each([
    // X.690 §11.2.2: trailing zero bits dropped, the first octet counts the unused bits.
    [PKI_FAILURE.badAlg, '03 02 07 80'],
    [PKI_FAILURE.badRequest, '03 02 05 20'],
    [PKI_FAILURE.badDataFormat, '03 02 02 04'],
    [PKI_FAILURE.unacceptedPolicy, '03 03 00 00 01'],
    [PKI_FAILURE.unacceptedExtension, '03 04 07 00 00 80'],
    [PKI_FAILURE.systemFailure, '03 05 06 00 00 00 40'],
  ])('encodes failInfo bit %i as %s, and reads it back', (bit, expected) => {
    const der = encodeDer(namedBitString([bit]));
    expect(der).toEqual(hex(expected));
    expect(readNamedBits(parseDer(der), 'failInfo')).toEqual([bit]);
  });

  it('encodes an empty named BIT STRING as no octets', () => {
    expect(encodeDer(namedBitString([]))).toEqual(hex('03 01 00'));
  });

  it('encodes GeneralizedTime in UTC with the milliseconds, without trailing zeros', () => {
    const text = (iso: string) =>
      encodeDer(generalizedTime(new Date(iso)))
        .subarray(2)
        .toString('latin1');
    expect(text('2026-11-26T02:03:04.120Z')).toBe('20261126020304.12Z');
    expect(text('2026-11-26T02:03:04.007Z')).toBe('20261126020304.007Z');
    expect(text('2026-11-26T02:03:04.000Z')).toBe('20261126020304Z');
    expect(encodeDer(generalizedTime(new Date('2026-11-26T02:03:04Z')))[0]).toBe(0x18);
  });

  it('reads GeneralizedTime back to the millisecond', () => {
    for (const iso of ['2026-11-26T02:03:04.120Z', '2026-11-26T02:03:04.000Z', '2050-01-01T00:00:00.999Z']) {
      expect(readGeneralizedTime(generalizedTime(new Date(iso)), 'genTime').toISOString()).toBe(iso);
    }
  });

  it.each([
    ['local time', '20261126020304'],
    ['an offset', '20261126020304+0800'],
    ['no seconds', '202611260203Z'],
    ['a trailing zero in the fraction', '20261126020304.10Z'],
    ['an empty fraction', '20261126020304.Z'],
    ['31 February', '20260231020304Z'],
    ['hour 24', '20261126240000Z'],
  ])('refuses a GeneralizedTime with %s', (_name, text) => {
    const node = parseDer(Buffer.concat([Buffer.of(0x18, text.length), Buffer.from(text, 'latin1')]));
    expect(() => readGeneralizedTime(node, 'genTime')).toThrow(TimestampFormatError);
  });

  it('keeps a sub-millisecond fraction to the millisecond', () => {
    const text = '20261126020304.1234567Z';
    const node = parseDer(Buffer.concat([Buffer.of(0x18, text.length), Buffer.from(text, 'latin1')]));
    expect(readGeneralizedTime(node, 'genTime').toISOString()).toBe('2026-11-26T02:03:04.123Z');
  });

  it('writes TRUE as FF and reads only FF or 00', () => {
    expect(encodeDer(derBoolean(true))).toEqual(hex('01 01 ff'));
    expect(encodeDer(derBoolean(false))).toEqual(hex('01 01 00'));
    expect(() => readBoolean(parseDer(hex('01 01 01')), 'certReq')).toThrow(TimestampFormatError);
  });

  it('reads an INTEGER as unsigned octets without the sign octet, and refuses a negative one', () => {
    expect(readUnsignedInteger(parseDer(hex('02 03 00 ff 01')), 'serial')).toEqual(hex('ff 01'));
    expect(readUnsignedInteger(parseDer(hex('02 01 00')), 'serial')).toEqual(hex('00'));
    expect(() => readUnsignedInteger(parseDer(hex('02 01 ff')), 'serial')).toThrow(TimestampFormatError);
  });

  it('writes UTF8String as UTF-8', () => {
    expect(encodeDer(utf8String('时间'))).toEqual(Buffer.concat([hex('0c 06'), Buffer.from('时间')]));
  });
});
