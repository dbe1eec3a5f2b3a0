import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, verify, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_ALGORITHMS } from '../keys/key-store';
import { maxCadesSize, OID, signDetachedCades } from './cades-signed-data';
import { children, encodeDer, parseDer } from './der';
import { bytesOf, oidOf, readCades } from './testing/cms-structure';
import { makeOpensslTestPki, type OpensslTestPki } from './testing/openssl-test-pki';

describe(signDetachedCades.name, () => {
  describe.each(KEY_ALGORITHMS)('with an %s seal', (algorithm) => {
    let pki: OpensslTestPki;
    const content = randomBytes(4096);
    const digest = createHash('sha256').update(content).digest();
    let sut: Buffer;

    beforeAll(async () => {
      pki = makeOpensslTestPki(algorithm, ['光明社区居民委员会电子印章']);
      sut = await signDetachedCades(digest, pki.signers[0].input);
    });
    afterAll(() => pki?.remove());

    const verifyWithOpenssl = (contentFile: string) =>
      spawnSync(
        'openssl',
        ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'signature.der', '-content', contentFile].concat([
          '-CAfile',
          pki.rootPemPath,
          '-out',
          '/dev/null',
        ]),
        { cwd: pki.dir, encoding: 'utf8' },
      );

    it('is a detached SignedData OpenSSL verifies against the content, up to the root', () => {
      writeFileSync(join(pki.dir, 'content.bin'), content);
      writeFileSync(join(pki.dir, 'signature.der'), sut);
      const result = verifyWithOpenssl('content.bin');
      expect(result.stderr).toContain('Verification successful');
      expect(result.status).toBe(0);
    });

    it('OpenSSL refuses it for other content', () => {
      writeFileSync(join(pki.dir, 'other.bin'), Buffer.concat([content, Buffer.of(0)]));
      writeFileSync(join(pki.dir, 'signature.der'), sut);
      const result = verifyWithOpenssl('other.bin');
      expect(result.status).not.toBe(0);
    });

    it('signs exactly content-type, message-digest and signing-certificate-v2, in DER order, without signing-time', () => {
      const cms = readCades(sut);
      expect(cms.signedAttributeTypes).toEqual([OID.contentType, OID.messageDigest, OID.signingCertificateV2]);
      expect(cms.signedAttributeTypes).not.toContain(OID.signingTime);
      expect(oidOf(cms.signedAttribute(OID.contentType))).toBe(OID.data);
      expect(bytesOf(cms.signedAttribute(OID.messageDigest))).toEqual(digest);
      expect(cms.hasUnsignedAttributes).toBe(false);

      const printed = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER'], { input: sut });
      const text = printed.stdout.toString('utf8');
      const signedAttrs = text.slice(text.indexOf('signedAttrs:'), text.indexOf('signatureAlgorithm:'));
      expect(signedAttrs.match(/object: .*/g)).toEqual([
        'object: contentType (1.2.840.113549.1.9.3)',
        'object: messageDigest (1.2.840.113549.1.9.4)',
        'object: id-smime-aa-signingCertificateV2 (1.2.840.113549.1.9.16.2.47)',
      ]);
    });

    it('names the signer certificate by hash and issuer/serial in signing-certificate-v2, with the default hash', () => {
      const cms = readCades(sut);
      const certificate = pki.signers[0].input.certificate;
      const [essCertIds] = children(cms.signedAttribute(OID.signingCertificateV2));
      const [essCertId, ...more] = children(essCertIds);
      expect(more).toHaveLength(0);
      // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash, issuerSerial }: no
      // AlgorithmIdentifier first, the OCTET STRING hash comes first.
      const [certHash, issuerSerial] = children(essCertId);
      expect(bytesOf(certHash)).toEqual(createHash('sha256').update(certificate).digest());
      const [generalNames, serialNumber] = children(issuerSerial);
      const [directoryName] = children(generalNames);
      expect(directoryName.type).toBe(4);
      expect(encodeDer(children(directoryName)[0])).toEqual(cms.sid.issuer);
      expect(encodeDer(serialNumber)).toEqual(cms.sid.serialNumber);

      const tbs = children(children(parseDer(certificate))[0]);
      expect(cms.sid.serialNumber).toEqual(encodeDer(tbs[1]));
      expect(cms.sid.issuer).toEqual(encodeDer(tbs[3]));
    });

    it('carries SignedData v1 with sha256, id-data without content and the certificates unchanged', () => {
      const cms = readCades(sut);
      const { certificate, chain } = pki.signers[0].input;
      expect(cms.contentType).toBe(OID.signedData);
      expect(cms.signedDataVersion).toBe(1);
      expect(cms.digestAlgorithms).toEqual([OID.sha256]);
      expect(cms.encapsulatedContentType).toBe(OID.data);
      expect(cms.hasEncapsulatedContent).toBe(false);
      expect(cms.certificates).toEqual([certificate, ...chain]);
      expect(cms.signerInfoVersion).toBe(1);
      expect(cms.digestAlgorithm).toBe(OID.sha256);
    });

    it('signs the DER SET of the signed attributes with the declared algorithm', () => {
      const cms = readCades(sut);
      expect(cms.signatureAlgorithm).toEqual(
        algorithm === 'ec-p256'
          ? { oid: OID.ecdsaWithSha256, parameters: 'absent' }
          : { oid: OID.rsaEncryption, parameters: 'null' },
      );
      expect(cms.signedAttributesAsSet[0]).toBe(0x31);
      const publicKey = new X509Certificate(pki.signers[0].input.certificate).publicKey;
      expect(verify('sha256', cms.signedAttributesAsSet, publicKey, cms.signature)).toBe(true);
    });

    it('never grows past the size reserved for it', async () => {
      const { certificate, chain } = pki.signers[0].input;
      const max = maxCadesSize([certificate, ...chain], algorithm);
      for (let i = 0; i < 20; i++) {
        const signed = await signDetachedCades(randomBytes(32), pki.signers[0].input);
        expect(signed.length).toBeLessThanOrEqual(max);
        expect(signed.length).toBeGreaterThanOrEqual(max - 8);
      }
    });

    it('refuses a digest that is not SHA-256 sized', async () => {
      await expect(signDetachedCades(randomBytes(20), pki.signers[0].input)).rejects.toThrow('32 bytes');
    });
  });
});
