import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { CmsSignerInput } from '../cms/cades-signed-data';
import { leadingDerElement } from '../cms/testing/cms-structure';
import { makeOpensslTestPki, type OpensslTestPki, type TestSigner } from '../cms/testing/openssl-test-pki';
import { KEY_ALGORITHMS } from '../keys/key-store';
import { appendPdfSignature, contentsSizeFor, signPreparedPdf } from '../pdf/pdf-signing';
import { addSignatureFields, type PreparedSignatures } from '../pdf/signature-fields';
import { checkPdfSignatures, PdfCheckError, type PdfCheck, type TrustAnchors } from './pdf-check';
import { fillSignaturePlaceholder } from './testing/signature-placeholder';
import { seededRandom } from '../../../../db/seeded-random';

const COMMITTEE = '光明社区居民委员会电子印章';
const APPROVER = '张三';
const TEXT = 'Certificate of residence No. 4401180010001-2024-000123';

interface Fixture {
  unsigned: Buffer;
  prepared: PreparedSignatures;
  /** The seal's signature only: the approver's field is still empty. */
  firstSigned: Buffer;
  /** Seal, then the approver's signature in an incremental update: an issued certificate. */
  bothSigned: Buffer;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** PDF dates have whole seconds. */
const wholeSeconds = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);

/** Every /ByteRange written in the file, read with a regular expression rather than by the code under test. */
function byteRangesIn(file: Buffer): number[][] {
  return [...file.toString('latin1').matchAll(/\/ByteRange \[(\d+) (\d+) (\d+) (\d+) *\]/g)].map((match) =>
    match.slice(1, 5).map(Number),
  );
}

function flipped(file: Buffer, position: number): Buffer {
  const copy = Buffer.from(file);
  copy[position] ^= 0x01;
  return copy;
}

/** The error `checkPdfSignatures` rejects with, or a failure if it resolves. */
async function rejection(file: Buffer, anchors: TrustAnchors): Promise<PdfCheckError> {
  try {
    await checkPdfSignatures(file, anchors);
  } catch (error) {
    if (error instanceof PdfCheckError) return error;
    throw error;
  }
  throw new Error('checkPdfSignatures accepted the file');
}

describe(checkPdfSignatures.name, () => {
  describe.each(KEY_ALGORITHMS)('with %s keys', (algorithm) => {
    let pki: OpensslTestPki;
    let outside: OpensslTestPki;
    let anchors: TrustAnchors;
    let work: string;
    let issued: Fixture;
    let signedAt: Date;
    let approvedAt: Date;

    /** A one-page certificate with two signature fields, signed as the issuing worker does. */
    async function signedPdf(seal: CmsSignerInput, approver: CmsSignerInput, at = signedAt): Promise<Fixture> {
      const doc = await PDFDocument.create();
      const page = doc.addPage([595, 842]);
      const font = await doc.embedFont(StandardFonts.Helvetica);
      page.drawText(TEXT, { x: 50, y: 760, size: 14, font });
      const contentsSize = contentsSizeFor([seal.certificate, ...seal.chain], algorithm);
      const prepared = addSignatureFields(
        doc,
        [
          { name: 'committee', pageIndex: 0, rect: { x: 380, y: 80, width: 140, height: 140 } },
          { name: 'approver', pageIndex: 0, rect: { x: 80, y: 80, width: 140, height: 140 } },
        ],
        { signedAt: at, reason: '出具居住证明', signerName: COMMITTEE, contentsSize },
      );
      const unsigned = Buffer.from(await doc.save({ useObjectStreams: false }));
      const firstSigned = await signPreparedPdf(unsigned, prepared, seal);
      const approverInfo = { signedAt: approvedAt, reason: '审批', signerName: APPROVER, contentsSize };
      const bothSigned = await appendPdfSignature(firstSigned, prepared, 'approver', approverInfo, approver);
      return { unsigned, prepared, firstSigned, bothSigned };
    }

    function pdfsig(file: Buffer, name: string): string[] {
      const path = join(work, name);
      writeFileSync(path, file);
      const result = spawnSync('pdfsig', ['-nssdir', `sql:${join(work, 'nss')}`, path], { encoding: 'utf8' });
      return result.stdout.split(/^Signature #\d+:$/m).slice(1);
    }

    beforeAll(async () => {
      pki = makeOpensslTestPki(algorithm, [COMMITTEE, APPROVER]);
      outside = makeOpensslTestPki(algorithm, [COMMITTEE]);
      anchors = { root: new X509Certificate(pki.root), intermediates: [new X509Certificate(pki.issuingCa)] };
      work = mkdtempSync(join(tmpdir(), 'zm-pdf-check-'));
      // An empty NSS database: pdfsig checks integrity here, trust is not the point.
      mkdirSync(join(work, 'nss'));
      execFileSync('certutil', ['-N', '--empty-password', '-d', `sql:${join(work, 'nss')}`]);
      // The test PKI's certificates start now: signing times must not precede them.
      signedAt = wholeSeconds(new Date(Date.now() + 60_000));
      approvedAt = wholeSeconds(new Date(Date.now() + 120_000));
      issued = await signedPdf(pki.signers[0].input, pki.signers[1].input);
    });
    afterAll(() => {
      pki?.remove();
      outside?.remove();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('an issued certificate: both signatures intact and trusted, only the approver’s covers the whole file', async () => {
      const sut = await checkPdfSignatures(issued.bothSigned, anchors);

      expect(sut.sha256).toBe(sha256(issued.bothSigned));
      expect(sut.bytes).toBe(issued.bothSigned.length);
      const [seal, approver] = pki.signers.map((signer) => new X509Certificate(signer.input.certificate));
      expect(sut.signatures).toEqual([
        {
          fieldName: 'committee',
          signer: {
            commonName: COMMITTEE,
            organization: '正明测试',
            serialHex: seal.serialNumber.toLowerCase(),
            subject: seal.subject,
          },
          signingTime: signedAt,
          timestamp: null,
          intact: true,
          coversWholeFile: false,
          chainsToRoot: true,
          revisionSha256: sha256(issued.firstSigned),
          problems: ['not_whole_file'],
        },
        {
          fieldName: 'approver',
          signer: {
            commonName: APPROVER,
            organization: '正明测试',
            serialHex: approver.serialNumber.toLowerCase(),
            subject: approver.subject,
          },
          signingTime: approvedAt,
          timestamp: null,
          intact: true,
          coversWholeFile: true,
          chainsToRoot: true,
          revisionSha256: sha256(issued.bothSigned),
          problems: [],
        },
      ]);
    });

    it('a file with the seal only: one signature, covering the whole file; the empty field is not a signature', async () => {
      const sut = await checkPdfSignatures(issued.firstSigned, anchors);
      expect(sut.signatures).toHaveLength(1);
      expect(sut.signatures[0]).toMatchObject({
        fieldName: 'committee',
        intact: true,
        coversWholeFile: true,
        chainsToRoot: true,
        revisionSha256: sha256(issued.firstSigned),
        problems: [],
      });
    });

    it('an unsigned PDF has no signatures, and a prepared but unsigned placeholder is no intact one', async () => {
      const doc = await PDFDocument.create();
      doc.addPage().drawText(TEXT);
      const plain = await checkPdfSignatures(Buffer.from(await doc.save()), anchors);
      expect(plain.signatures).toEqual([]);

      const placeholder = await checkPdfSignatures(issued.unsigned, anchors);
      expect(placeholder.signatures).toEqual([
        expect.objectContaining({ fieldName: 'committee', intact: false, problems: ['byte_range_invalid'] }),
      ]);
    });

    it('one byte changed in the first revision breaks both signatures with a digest mismatch, as pdfsig says', async () => {
      const position = issued.bothSigned.indexOf('/CreationDate (D:', 0, 'latin1') + '/CreationDate (D:'.length;
      const tampered = flipped(issued.bothSigned, position);

      const sut = await checkPdfSignatures(tampered, anchors);

      expect(sut.signatures.map((signature) => signature.intact)).toEqual([false, false]);
      for (const signature of sut.signatures) {
        expect(signature.problems).toContain('digest_mismatch');
        expect(signature.problems).not.toContain('bad_signature');
        expect(signature.chainsToRoot).toBe(true);
      }
      const report = pdfsig(tampered, 'tampered.pdf');
      expect(report).toHaveLength(2);
      for (const block of report) expect(block).toContain('Signature Validation: Digest Mismatch.');
    });

    it('pdfsig and the checker agree on the untouched file', async () => {
      const report = pdfsig(issued.bothSigned, 'issued.pdf');
      expect(report).toHaveLength(2);
      for (const block of report) expect(block).toContain('Signature Validation: Signature is Valid.');
      expect(report[1]).toMatch(/^\s*- Total document signed$/m);
      const sut = await checkPdfSignatures(issued.bothSigned, anchors);
      expect(sut.signatures.map((signature) => signature.intact)).toEqual([true, true]);
    });

    it('bytes appended after the last signature: every signature still intact, none covering the whole file', async () => {
      const extended = Buffer.concat([issued.bothSigned, Buffer.from('\n% appended after signing\n', 'latin1')]);

      const sut = await checkPdfSignatures(extended, anchors);

      expect(sut.sha256).toBe(sha256(extended));
      expect(sut.signatures.map(({ intact, coversWholeFile }) => ({ intact, coversWholeFile }))).toEqual([
        { intact: true, coversWholeFile: false },
        { intact: true, coversWholeFile: false },
      ]);
      for (const signature of sut.signatures) expect(signature.problems).toEqual(['not_whole_file']);
      expect(sut.signatures[1].revisionSha256).toBe(sha256(issued.bothSigned));
    });

    it('an incremental update that changes the page after signing leaves the signatures intact but partial', async () => {
      // What an editor saving in place does: an appended revision, the signed bytes untouched.
      const doc = await PDFDocument.load(issued.bothSigned);
      doc.getPage(0).drawText('FORGED', { x: 50, y: 700 });
      const saved = Buffer.from(await doc.save({ useObjectStreams: false }));
      const update = saved.subarray(saved.indexOf('%PDF-') + '%PDF-1.7'.length);
      const edited = Buffer.concat([issued.bothSigned, Buffer.from('\n'), update]);

      const sut = await checkPdfSignatures(edited, anchors);

      expect(sut.signatures.every((signature) => !signature.coversWholeFile)).toBe(true);
      expect(sut.signatures.every((signature) => signature.problems.includes('not_whole_file'))).toBe(true);
    });

    it('a seal key outside the district PKI signs intact but untrusted, though its CMS brings a root of the same name', async () => {
      const foreign = outside.signers[0].input;
      expect(new X509Certificate(outside.root).subject).toBe(anchors.root.subject);

      const sut = await checkPdfSignatures((await signedPdf(foreign, pki.signers[1].input)).bothSigned, anchors);

      expect(sut.signatures[0]).toMatchObject({
        signer: expect.objectContaining({ commonName: COMMITTEE }),
        intact: true,
        chainsToRoot: false,
        problems: ['not_whole_file', 'untrusted_signer'],
      });
      expect(sut.signatures[1]).toMatchObject({ intact: true, chainsToRoot: true, problems: [] });
    });

    it('the district intermediates complete a chain the CMS leaves out, and only they do', async () => {
      const [seal, approver] = pki.signers.map((signer) => ({ ...signer.input, chain: [] }));
      const { bothSigned } = await signedPdf(seal, approver);

      const withIntermediates = await checkPdfSignatures(bothSigned, anchors);
      const rootOnly = await checkPdfSignatures(bothSigned, { root: anchors.root, intermediates: [] });

      expect(withIntermediates.signatures.map((signature) => signature.chainsToRoot)).toEqual([true, true]);
      expect(rootOnly.signatures.map((signature) => signature.chainsToRoot)).toEqual([false, false]);
      expect(rootOnly.signatures[1].problems).toEqual(['untrusted_signer']);
    });

    it('a signing time before the signer’s certificate was valid does not chain', async () => {
      const { firstSigned } = await signedPdf(
        pki.signers[0].input,
        pki.signers[1].input,
        new Date('2024-05-01T01:30:00Z'),
      );

      const [sut] = (await checkPdfSignatures(firstSigned, anchors)).signatures;

      expect(sut).toMatchObject({
        signingTime: new Date('2024-05-01T01:30:00Z'),
        timestamp: null,
        intact: true,
        chainsToRoot: false,
        problems: ['certificate_not_valid_at_signing_time'],
      });
    });

    it('a re-saved or redrawn copy has no intact signature over the whole file', async () => {
      const resaved = Buffer.from(await (await PDFDocument.load(issued.bothSigned)).save());
      const redrawn = await PDFDocument.create();
      redrawn.addPage([595, 842]).drawText(TEXT, { x: 50, y: 760, size: 14 });

      for (const copy of [resaved, Buffer.from(await redrawn.save())]) {
        const sut = await checkPdfSignatures(copy, anchors);
        expect(sut.signatures.filter((signature) => signature.intact && signature.coversWholeFile)).toEqual([]);
      }
      const again = await checkPdfSignatures(resaved, anchors);
      expect(again.signatures.length).toBe(2);
      for (const signature of again.signatures) expect(signature.problems).toContain('byte_range_invalid');
    });

    it('a changed byte in the signature value is a bad signature, and pdfsig agrees', async () => {
      const [, last] = byteRangesIn(issued.bothSigned);
      const contents = Buffer.from(issued.bothSigned.toString('latin1', last[1] + 1, last[2] - 1), 'hex');
      // The signature value is the last element of the SignerInfo, and so of the DER: change its last hex digit.
      const position = last[1] + leadingDerElement(contents).length * 2;
      const tampered = Buffer.from(issued.bothSigned);
      tampered[position] = tampered[position] === 0x30 ? 0x31 : 0x30;

      const sut = await checkPdfSignatures(tampered, anchors);

      expect(sut.signatures[0]).toMatchObject({ intact: true, problems: ['not_whole_file'] });
      expect(sut.signatures[1]).toMatchObject({ intact: false, coversWholeFile: true, problems: ['bad_signature'] });
      expect(pdfsig(tampered, 'bad-signature.pdf')[1]).toContain('Signature Validation: Signature is Invalid.');
    });

    it('a garbage ByteRange is reported, not thrown', async () => {
      const [, last] = byteRangesIn(issued.bothSigned);
      const written = `[${last.join(' ')}`;
      const at = issued.bothSigned.lastIndexOf(written, undefined, 'latin1');
      const tampered = Buffer.from(issued.bothSigned);
      tampered.write('[0 99999999 5 5'.padEnd(written.length, ' '), at, 'latin1');

      const sut = await checkPdfSignatures(tampered, anchors);

      expect(sut.signatures[1]).toEqual({
        fieldName: 'approver',
        signer: null,
        signingTime: approvedAt,
        timestamp: null,
        intact: false,
        coversWholeFile: false,
        chainsToRoot: false,
        revisionSha256: '',
        problems: ['byte_range_invalid'],
      });
      expect(sut.signatures[0].intact).toBe(true);
    });

    it.each([
      ['AES-256', ['--encrypt', 'user', 'owner', '256', '--']],
      ['AES-256 with object streams', ['--object-streams=generate', '--encrypt', 'user', 'owner', '256', '--']],
      ['RC4-128, no user password', ['--allow-weak-crypto', '--encrypt', '', 'owner', '128', '--use-aes=n', '--']],
    ])('a PDF encrypted with %s is refused as encrypted', async (_name, options) => {
      const plain = join(work, 'plain.pdf');
      const encrypted = join(work, 'encrypted.pdf');
      writeFileSync(plain, issued.bothSigned);
      execFileSync('qpdf', [...options, plain, encrypted], { stdio: 'pipe' });

      expect((await rejection(readFileSync(encrypted), anchors)).code).toBe('encrypted');
    });

    it('a truncated PDF is malformed', async () => {
      const file = issued.bothSigned;
      for (const length of [file.length - 3, file.length - 200, Math.floor(file.length / 2), 1000]) {
        const error = await rejection(file.subarray(0, length), anchors);
        expect({ length, code: error.code }).toEqual({ length, code: 'malformed' });
      }
    });

    it('a byte changed anywhere outside the /Contents strings never leaves a signature over it intact', async () => {
      const file = issued.bothSigned;
      const [first, second] = byteRangesIn(file);
      const inGap = (position: number) => [first, second].some((range) => position >= range[1] && position < range[2]);
      const random = seededRandom(algorithm === 'ec-p256' ? 7 : 8);
      let checked = 0;
      while (checked < 60) {
        const position = Math.floor(random() * file.length);
        if (inGap(position)) continue;
        checked++;
        let result: PdfCheck;
        try {
          result = await checkPdfSignatures(flipped(file, position), anchors);
        } catch (error) {
          expect(error).toBeInstanceOf(PdfCheckError);
          continue;
        }
        const intact = result.signatures.filter((signature) => signature.intact);
        // Both signatures cover the first revision; only the second covers the update.
        const allowed = position < issued.firstSigned.length ? [] : [sha256(issued.firstSigned)];
        expect({ position, intact: intact.map((signature) => signature.revisionSha256) }).toEqual({
          position,
          intact: allowed.slice(0, intact.length),
        });
      }
    });

    describe('with a CMS made by OpenSSL', () => {
      /** The first signature made by `openssl cms -sign` instead of our CAdES encoder. */
      function signWithOpenssl(fixture: Fixture, signer: TestSigner, options: string[]): Buffer {
        const path = (name: string) => join(work, name);
        writeFileSync(path('signer.pem'), new X509Certificate(signer.input.certificate).toString());
        writeFileSync(path('signer.key'), signer.key.export({ type: 'pkcs8', format: 'pem' }));
        writeFileSync(path('chain.pem'), new X509Certificate(pki.issuingCa).toString());
        return fillSignaturePlaceholder(fixture.unsigned, fixture.prepared, (signedBytes) => {
          writeFileSync(path('content.bin'), signedBytes);
          execFileSync('openssl', [
            'cms',
            '-sign',
            '-binary',
            '-nosmimecap',
            '-in',
            path('content.bin'),
            '-signer',
            path('signer.pem'),
            '-inkey',
            path('signer.key'),
            '-certfile',
            path('chain.pem'),
            '-outform',
            'DER',
            '-out',
            path('cms.der'),
            ...options,
          ]);
          return readFileSync(path('cms.der'));
        });
      }

      it('identified by subject key identifier, SHA-384, with a signed signingTime', async () => {
        const file = signWithOpenssl(issued, pki.signers[0], ['-keyid', '-md', 'sha384']);
        const before = Date.now();

        const [sut] = (await checkPdfSignatures(file, anchors)).signatures;

        expect(sut).toMatchObject({ intact: true, coversWholeFile: true, chainsToRoot: true, problems: [] });
        expect(sut.signer?.commonName).toBe(COMMITTEE);
        // OpenSSL's signingTime (now), not the /M written a minute ahead.
        expect(sut.signingTime!.getTime()).toBeLessThanOrEqual(before);
        expect(sut.signingTime!.getTime()).toBeGreaterThan(before - 60_000);
      });

      it('without signed attributes, SHA-512: the signature covers the ranges themselves', async () => {
        const file = signWithOpenssl(issued, pki.signers[0], ['-noattr', '-md', 'sha512']);

        const [sut] = (await checkPdfSignatures(file, anchors)).signatures;

        expect(sut).toMatchObject({ intact: true, coversWholeFile: true, chainsToRoot: true, signingTime: signedAt });
        expect(sut.problems).toEqual([]);
        const tampered = flipped(file, file.indexOf('/CreationDate (D:', 0, 'latin1') + 20);
        expect((await checkPdfSignatures(tampered, anchors)).signatures[0].problems).toEqual(['bad_signature']);
      });
    });
  });
});
