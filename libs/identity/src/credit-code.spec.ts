import {
  creditCodeCheckCharacter,
  isValidCreditCode,
  organizationCodeCheckCharacter,
  parseCreditCode,
} from './credit-code';

describe('unified social credit code (GB 32100-2015 with GB 11714-1997)', () => {
  it.each([
    // The example the standard's explanations use: organization code M000100Y4, check 3.
    ['91350100M000100Y43', '9', '1', '350100', 'M000100Y4'],
    // The entertainment-venue type's sample business (db/seeds/certificate-types).
    ['91440118773826453C', '9', '1', '440118', '773826453'],
    // Constructed: an organization code whose check is 10, written X…
    ['91440118MA59C3KPXG', '9', '1', '440118', 'MA59C3KPX'],
    // …and one whose check is 11, written 0 (0·3+5·7+0·9+6·10+8·5+2·8+1·4+5·2 = 165 ≡ 0 mod 11).
    ['524401180506821509', '5', '2', '440118', '050682150'],
    ['92440118MA4W7E1N4C', '9', '2', '440118', 'MA4W7E1N4'],
  ])('accepts %s and takes it apart', (code, authority, category, division, organization) => {
    expect(parseCreditCode(code)).toEqual({
      ok: true,
      value: {
        value: code,
        registrationAuthority: authority,
        category,
        divisionCode: division,
        organizationCode: organization,
      },
    });
  });

  it('computes both check characters by hand-checkable sums', () => {
    // M=22, Y=34: 22·3 + 1·5 + 34·2 = 139 ≡ 7 (mod 11), 11 − 7 = 4.
    expect(organizationCodeCheckCharacter('M000100Y')).toBe('4');
    expect(organizationCodeCheckCharacter('05068215')).toBe('0');
    expect(organizationCodeCheckCharacter('MA59C3KP')).toBe('X');
    expect(creditCodeCheckCharacter('91350100M000100Y4')).toBe('3');
  });

  it('normalises case and surrounding spaces', () => {
    expect(parseCreditCode(' 91440118ma59c3kpxg ')).toMatchObject({ ok: true, value: { value: '91440118MA59C3KPXG' } });
  });

  it.each([
    ['91350100M000100Y4', 'format'], // 17 characters
    ['91350100M000100Y433', 'format'], // 19
    ['9135010OM000100Y43', 'format'], // a letter O in the division code
    ['91350100M0I0100Y43', 'format'], // I is not in the alphabet
    ['91350100M000100YA3', 'format'], // an organization code check that is neither a digit nor X
    // The organization code's own check is wrong (7 expected) though the final character fits the rest.
    ['91440101MA5CXXXX08', 'organizationCode'],
    ['91440101MA5CXXXX0X', 'organizationCode'],
    ['91350100M000100Y44', 'checkCharacter'],
    ['91440118773826453D', 'checkCharacter'],
    // Two neighbours swapped in the organization code are caught by one check or the other.
    ['91440118737826453C', 'organizationCode'],
  ])('refuses %s (%s)', (code, problem) => {
    expect(parseCreditCode(code)).toEqual({ ok: false, problem });
    expect(isValidCreditCode(code)).toBe(false);
  });
});
