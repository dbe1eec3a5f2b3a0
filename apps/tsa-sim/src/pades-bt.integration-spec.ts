import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { OID } from '../../../libs/signing/src/cms/cades-signed-data';
import { children, encodeDer, isContextTag, parseDer } from '../../../libs/signing/src/cms/der';
import { leadingDerElement, readCades } from '../../../libs/signing/src/cms/testing/cms-structure';
import type { DataSigner } from '../../../libs/signing/src/keys/key-store';
import { contentsSizeFor, signPreparedPdf } from '../../../libs/signing/src/pdf/pdf-signing';
import { addSignatureFields } from '../../../libs/signing/src/pdf/signature-fields';
import { checkPdfSignatures } from '../../../libs/signing/src/pdf-check/pdf-check';
import { verifyTimeStampToken } from '../../../libs/signing/src/timestamp/timestamp-verify';
import { TimestampService } from '../../../libs/signing/src/timestamp/timestamp.service';
import { makeTsaTestPki, type TsaTestPki } from './testing/tsa-test-pki';
import { startTsaSim, type RunningTsaSim } from './tsa-sim';
import { DEFAULT_POLICY } from './tsa-sim.config';

/** PAdES B-T: our PDF signing with a signature time-stamp from tsa-sim, checked by OpenSSL and pdfsig. */

/** The CMS of the (only) signature of `file`, from the gap its /ByteRange leaves. */
function cmsOf(file: Buffer): Buffer {
  const match = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+) *\]/.exec(file.toString('latin1'))!;
  const [start1, length1, start2] = match.slice(1, 4).map(Number);
  return leadingDerElement(Buffer.from(file.toString('latin1', start1 + length1 + 1, start2 - 1), 'hex'));
}

/** The unsigned attributes of the CMS's SignerInfo, as [type, value DER]. */
function unsignedAttributes(cms: Buffer): [string, Buffer][] {
  const signedData = children(children(children(parseDer(cms))[1])[0]);
  const signerInfo = children(children(signedData[signedData.length - 1])[0]);
  const unsigned = signerInfo.find((node) => isContextTag(node, 1));
  if (!unsigned) return [];
  return children(unsigned).map((attribute) => {
    const [type, values] = children(attribute);
    return [forge.asn1.derToOid(type.value as string), encodeDer(children(values)[0])];
  });
}

describe('PAdES B-T signing with tsa-sim', () => {
  let pki: TsaTestPki;
  let sim: RunningTsaSim;
  let timestamps: TimestampService;
  let input: { signer: DataSigner; certificate: Buffer; chain: Buffer[] };

  async function signedPdf(timestamped: boolean): Promise<Buffer> {
    const doc = await PDFDocument.create();
    const page = doc.addPage([595, 842]);
    page.drawText('Certificate No. 440118001001-WE-2026-000001', {
      x: 50,
      y: 760,
      size: 14,
      font: await doc.embedFont(StandardFonts.Helvetica),
    });
    const certificates = [input.certificate, ...input.chain];
    const contentsSize = contentsSizeFor(certificates, 'ec-p256', timestamped ? await timestamps.tokenReserve() : 0);
    const prepared = addSignatureFields(
      doc,
      [{ name: 'seal', pageIndex: 0, rect: { x: 380, y: 80, width: 140, height: 140 } }],
      { signedAt: new Date(), reason: '出具证明', contentsSize },
    );
    const unsigned = await doc.save({ useObjectStreams: false });
    return signPreparedPdf(unsigned, prepared, { ...input, timestamper: timestamped ? timestamps : undefined });
  }

  beforeAll(async () => {
    pki = makeTsaTestPki('ec-p256');
    // The token carries the TSA certificate only: the issuing CA is in the signature's CMS already.
    sim = await startTsaSim(
      {
        http: { port: 0, host: '127.0.0.1' },
        files: { key: pki.files.tsaKey, certificate: pki.files.tsaCertificate, chain: null },
        policy: DEFAULT_POLICY,
      },
      { log: () => undefined },
    );
    timestamps = new TimestampService({ url: `${sim.url}/`, simPort: 0, timeoutMs: 5_000, trustedRootsFile: null });
    const key = createPrivateKey(readFileSync(pki.files.sealKey));
    input = {
      signer: { algorithm: 'ec-p256', sign: async (data) => sign('sha256', data, key) },
      certificate: Buffer.from(new X509Certificate(readFileSync(pki.files.sealCertificate)).raw),
      chain: [Buffer.from(pki.issuingCa.raw), Buffer.from(pki.root.raw)],
    };
  });
  afterAll(async () => {
    await sim?.close();
    pki?.remove();
  });

  it('adds a signature time-stamp token over the signature value, which openssl ts -verify accepts', async () => {
    const pdf = await signedPdf(true);
    const cms = cmsOf(pdf);
    const attributes = unsignedAttributes(cms);
    expect(attributes.map(([type]) => type)).toEqual([OID.signatureTimeStampToken]);
    const token = attributes[0][1];
    const signatureValue = readCades(cms).signature;

    const result = spawnSync(
      'openssl',
      [
        'ts',
        '-verify',
        '-digest',
        createHash('sha256').update(signatureValue).digest('hex'),
        '-in',
        pki.write('token.der', token),
        '-token_in',
        '-CAfile',
        pki.files.root,
        '-untrusted',
        pki.files.chain,
      ],
      { encoding: 'utf8' },
    );
    expect(result.stdout).toContain('Verification: OK');
    expect(verifyTimeStampToken(token, signatureValue, pki.root, { intermediates: [pki.issuingCa] })).toMatchObject({
      policy: DEFAULT_POLICY,
    });
    // The same CMS, still verifying over the signed bytes: the unsigned attribute is outside the signature.
    const signedAgain = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER'], { input: cms });
    expect(signedAgain.stdout.toString()).toContain('id-smime-aa-timeStampToken');
  });

  it('reserves room for the token that the TSA sends, and no more than a token and its margins', async () => {
    const withToken = await signedPdf(true);
    const without = await signedPdf(false);
    const token = unsignedAttributes(cmsOf(withToken))[0][1];
    const growth = withToken.length - without.length;
    // Two hex digits per reserved byte: the token, its attribute and the margin of TimestampService.
    expect(growth).toBeGreaterThanOrEqual(2 * token.length);
    expect(growth).toBeLessThanOrEqual(2 * (token.length + 64 + 64));
    expect(token.length).toBeLessThan(1500);
  });

  it('is reported by the PDF check with its time, and refused when its TSA chains to another root unless that root is trusted for time-stamps', async () => {
    const before = Date.now();
    const pdf = await signedPdf(true);
    const anchors = { root: pki.root, intermediates: [pki.issuingCa] };
    const [checked] = (await checkPdfSignatures(pdf, anchors)).signatures;
    expect(checked).toMatchObject({ intact: true, chainsToRoot: true, problems: [] });
    expect(checked.timestamp).toMatchObject({ valid: true, problem: null, authority: '正明测试时间戳服务' });
    expect(checked.timestamp!.time!.getTime()).toBeGreaterThanOrEqual(before - 1000);

    // A TSA of another PKI: the seal still chains to the root, its time-stamp does not.
    const elsewhere = makeTsaTestPki('ec-p256');
    const otherSim = await startTsaSim(
      {
        http: { port: 0, host: '127.0.0.1' },
        files: {
          key: elsewhere.files.tsaKey,
          certificate: elsewhere.files.tsaCertificate,
          chain: elsewhere.files.chain,
        },
        policy: DEFAULT_POLICY,
      },
      { log: () => undefined },
    );
    try {
      const original = timestamps;
      timestamps = new TimestampService({
        url: `${otherSim.url}/`,
        simPort: 0,
        timeoutMs: 5_000,
        trustedRootsFile: null,
      });
      const foreign = await signedPdf(true);
      timestamps = original;
      const [untrusted] = (await checkPdfSignatures(foreign, anchors)).signatures;
      expect(untrusted).toMatchObject({ intact: true, chainsToRoot: true, problems: ['timestamp_invalid'] });
      expect(untrusted.timestamp).toMatchObject({ valid: false, problem: 'untrusted' });
      const [trusted] = (await checkPdfSignatures(foreign, { ...anchors, timestampRoots: [elsewhere.root] }))
        .signatures;
      expect(trusted).toMatchObject({ problems: [], timestamp: { valid: true } });
    } finally {
      await otherSim.close();
      elsewhere.remove();
    }
  });

  it('signs without a time-stamp when no TSA is given (B-B)', async () => {
    expect(unsignedAttributes(cmsOf(await signedPdf(false)))).toEqual([]);
  });
});
