import { verifyCertificatePath } from './certificate-path';
import { makeTestParty as party, type TestParty as Party } from './testing/test-certificates';

const YEAR = 365 * 24 * 3600 * 1000;
const NOW = new Date();

describe(verifyCertificatePath.name, () => {
  let root: Party;
  let issuing: Party;
  let seal: Party;

  beforeAll(async () => {
    root = await party('正明测试根证书', null, { ca: true });
    issuing = await party('正明测试签发证书', root, { ca: true });
    seal = await party('光明社区居民委员会电子印章', issuing);
  });

  it('trusts a seal issued under the root through the issuing CA, wherever the CA certificate comes from', () => {
    expect(verifyCertificatePath(seal.certificate, [issuing.certificate], root.certificate, NOW)).toBe('trusted');
    expect(
      verifyCertificatePath(seal.certificate, [root.certificate, issuing.certificate], root.certificate, NOW),
    ).toBe('trusted');
  });

  it('does not trust a seal whose issuing CA is not at hand', () => {
    expect(verifyCertificatePath(seal.certificate, [], root.certificate, NOW)).toBe('untrusted');
  });

  it('does not trust a look-alike PKI: same names, other keys, its own root in the candidates', async () => {
    const fakeRoot = await party(root.name, null, { ca: true });
    const fakeIssuing = await party(issuing.name, fakeRoot, { ca: true });
    const fakeSeal = await party(seal.name, fakeIssuing);

    const candidates = [fakeIssuing.certificate, fakeRoot.certificate, issuing.certificate];
    expect(verifyCertificatePath(fakeSeal.certificate, candidates, root.certificate, NOW)).toBe('untrusted');
    expect(verifyCertificatePath(fakeSeal.certificate, candidates, fakeRoot.certificate, NOW)).toBe('trusted');
  });

  it('does not let a certificate that is not a CA issue, even with the keyCertSign bit', async () => {
    const notCa = await party('某个终端证书', issuing, { keyUsage: ['digitalSignature', 'keyCertSign'] });
    const forged = await party(seal.name, notCa);

    const candidates = [notCa.certificate, issuing.certificate];
    expect(verifyCertificatePath(forged.certificate, candidates, root.certificate, NOW)).toBe('untrusted');
  });

  it('does not let a CA without keyCertSign issue', async () => {
    const noCertSign = await party('无签发用途的CA', root, { ca: true, keyUsage: ['cRLSign'] });
    const signer = await party(seal.name, noCertSign);

    expect(verifyCertificatePath(signer.certificate, [noCertSign.certificate], root.certificate, NOW)).toBe(
      'untrusted',
    );
  });

  it('tells a path that exists but was not valid at the signing time from no path at all', async () => {
    const lapsed = await party('过期印章', issuing, {
      notBefore: new Date(NOW.getTime() - 2 * YEAR),
      notAfter: new Date(NOW.getTime() - YEAR / 2),
    });
    const candidates = [issuing.certificate];
    expect(verifyCertificatePath(lapsed.certificate, candidates, root.certificate, NOW)).toBe('not_valid_at_time');
    expect(
      verifyCertificatePath(lapsed.certificate, candidates, root.certificate, new Date(NOW.getTime() - YEAR)),
    ).toBe('trusted');
    // The seal is valid then, but the issuing CA (and the root) are not yet.
    expect(
      verifyCertificatePath(seal.certificate, candidates, root.certificate, new Date(NOW.getTime() - 2 * YEAR)),
    ).toBe('not_valid_at_time');
  });

  it('ends on CAs that certify each other, with or without a way out to the root', async () => {
    const a = await party('交叉A', root, { ca: true });
    const b = await party('交叉B', a, { ca: true });
    // The same key and name as `a`, certified by `b`: a → b → a … is a cycle.
    const aByB = await party('交叉A', b, { ca: true, keyOf: a });
    const signer = await party(seal.name, a);

    const candidates = [aByB.certificate, b.certificate, a.certificate];
    expect(verifyCertificatePath(signer.certificate, candidates, root.certificate, NOW)).toBe('trusted');
    expect(verifyCertificatePath(signer.certificate, [aByB.certificate, b.certificate], root.certificate, NOW)).toBe(
      'untrusted',
    );
  });
});
