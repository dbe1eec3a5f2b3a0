import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, PDFHexString, StandardFonts } from 'pdf-lib';
import { OID } from '../cms/cades-signed-data';
import { bytesOf, leadingDerElement, readCades } from '../cms/testing/cms-structure';
import { makeOpensslTestPki, type OpensslTestPki } from '../cms/testing/openssl-test-pki';
import { KEY_ALGORITHMS } from '../keys/key-store';
import { appendPdfSignature, contentsSizeFor, signPreparedPdf } from './pdf-signing';
import { addSignatureFields, type PreparedSignatures } from './signature-fields';
import { seededRandom } from '../../../../db/seeded-random';

const COMMITTEE = '光明社区居民委员会电子印章';
const DISTRICT = '增城区民政局电子印章';

interface PdfsigReport {
  status: number | null;
  output: string;
  /** One block of pdfsig's output per signature field, in field order. */
  signatures: string[];
}

interface SignedRange {
  byteRange: number[];
  cms: Buffer;
  signedBytes: Buffer;
}

/** The signatures as a reader finds them: every /ByteRange in the file, and the CMS in the gap it leaves. */
function signaturesIn(file: Buffer): SignedRange[] {
  const text = file.toString('latin1');
  return [...text.matchAll(/\/ByteRange \[(\d+) (\d+) (\d+) (\d+) *\]/g)].map((match) => {
    const byteRange = match.slice(1, 5).map(Number);
    const [start1, length1, start2, length2] = byteRange;
    const hex = text.slice(start1 + length1 + 1, start2 - 1);
    return {
      byteRange,
      cms: leadingDerElement(Buffer.from(hex, 'hex')),
      signedBytes: Buffer.concat([file.subarray(start1, start1 + length1), file.subarray(start2, start2 + length2)]),
    };
  });
}

/** What pdfsig says of one signature field. */
function verdict(block: string): 'valid' | 'invalid' | 'unsigned' | 'unknown' {
  if (block.includes('Signature Validation: Signature is Valid.')) return 'valid';
  if (/Signature Validation: (Digest Mismatch|Signature is Invalid)\./.test(block)) return 'invalid';
  if (block.includes('The signature form field is not signed.')) return 'unsigned';
  return 'unknown';
}

function startxrefOf(file: Buffer): number {
  return Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(file.toString('latin1', file.length - 64))![1]);
}

function lastTrailer(file: Buffer): string {
  const text = file.toString('latin1', file.length - 1024);
  return text.slice(text.lastIndexOf('trailer'), text.lastIndexOf('startxref'));
}

describe(`${signPreparedPdf.name} and ${appendPdfSignature.name}`, () => {
  describe.each(KEY_ALGORITHMS)('with %s seals', (algorithm) => {
    let pki: OpensslTestPki;
    let nssDir: string;
    let prepared: PreparedSignatures;
    let unsigned: Buffer;
    let firstSigned: Buffer;
    let bothSigned: Buffer;
    const documentId = PDFHexString.of('0123456789abcdef0123456789abcdef');

    beforeAll(async () => {
      pki = makeOpensslTestPki(algorithm, [COMMITTEE, DISTRICT]);
      nssDir = join(pki.dir, 'nss');
      mkdirSync(nssDir);
      execFileSync('certutil', ['-N', '--empty-password', '-d', `sql:${nssDir}`]);
      execFileSync('certutil', ['-A', '-n', 'root', '-t', 'CT,C,C', '-i', pki.rootPemPath, '-d', `sql:${nssDir}`]);

      const [committee, district] = pki.signers;
      const doc = await PDFDocument.create();
      const page = doc.addPage([595, 842]);
      const font = await doc.embedFont(StandardFonts.Helvetica);
      page.drawText('Certificate of residence No. 4401180010001-2024-000123', { x: 50, y: 760, size: 14, font });
      doc.context.trailerInfo.ID = doc.context.obj([documentId, documentId]);
      const contentsSize = contentsSizeFor([committee.input.certificate, ...committee.input.chain], algorithm);
      const madeInWorker = addSignatureFields(
        doc,
        [
          { name: 'committee', pageIndex: 0, rect: { x: 380, y: 80, width: 140, height: 140 } },
          { name: 'district', pageIndex: 0, rect: { x: 80, y: 80, width: 140, height: 140 } },
        ],
        {
          signedAt: new Date('2024-05-01T01:30:00Z'),
          reason: '出具居住证明',
          location: '广东省广州市增城区',
          signerName: COMMITTEE,
          contactInfo: '020-12345678',
          contentsSize,
        },
      );
      unsigned = Buffer.from(await doc.save({ useObjectStreams: false }));
      // The descriptor crosses a worker_threads boundary in production.
      prepared = structuredClone(JSON.parse(JSON.stringify(madeInWorker)) as PreparedSignatures);

      firstSigned = await signPreparedPdf(unsigned, prepared, committee.input);
      bothSigned = await appendPdfSignature(
        firstSigned,
        prepared,
        'district',
        { signedAt: new Date('2024-05-02T02:00:00Z'), reason: '审核盖章', signerName: DISTRICT, contentsSize },
        district.input,
      );
    });
    afterAll(() => pki?.remove());

    function pdfsig(file: Buffer, name: string): PdfsigReport {
      const path = join(pki.dir, name);
      writeFileSync(path, file);
      const result = spawnSync('pdfsig', ['-nssdir', `sql:${nssDir}`, path], { encoding: 'utf8' });
      return {
        status: result.status,
        output: result.stdout + result.stderr,
        signatures: result.stdout.split(/^Signature #\d+:$/m).slice(1),
      };
    }

    function qpdfCheck(file: Buffer, name: string) {
      const path = join(pki.dir, name);
      writeFileSync(path, file);
      return spawnSync('qpdf', ['--check', path], { encoding: 'utf8' });
    }

    it('the first signature is valid, trusted and covers the whole file; the second field is still unsigned', () => {
      const report = pdfsig(firstSigned, 'first.pdf');
      expect(report.signatures).toHaveLength(2);
      const [committee, district] = report.signatures;
      expect(committee).toContain('Signature Field Name: committee');
      expect(committee).toContain(`Signer Certificate Common Name: ${COMMITTEE}`);
      expect(committee).toContain('Signature Type: ETSI.CAdES.detached');
      expect(committee).toContain('Signing Hash Algorithm: SHA-256');
      expect(committee).toContain('Total document signed');
      expect(committee).toContain('Signature is Valid.');
      expect(committee).toContain('Certificate is Trusted.');
      expect(district).toContain('Signature Field Name: district');
      expect(district).toContain('not signed');
    });

    it('after the appended signature both are valid and trusted, and only the last covers the whole file', () => {
      const report = pdfsig(bothSigned, 'both.pdf');
      expect(report.signatures).toHaveLength(2);
      const [committee, district] = report.signatures;
      for (const signature of report.signatures) {
        expect(signature).toContain('Signature Type: ETSI.CAdES.detached');
        expect(signature).toContain('Signing Hash Algorithm: SHA-256');
        expect(signature).toContain('Signature is Valid.');
        expect(signature).toContain('Certificate is Trusted.');
      }
      expect(committee).toContain(`Signer Certificate Common Name: ${COMMITTEE}`);
      expect(committee).toContain('Not total document signed');
      expect(district).toContain('Signature Field Name: district');
      expect(district).toContain(`Signer Certificate Common Name: ${DISTRICT}`);
      expect(district).toMatch(/^\s*- Total document signed$/m);
    });

    it('qpdf finds no errors before signing, after the first signature and after the incremental update', () => {
      for (const [name, file] of [
        ['unsigned.pdf', unsigned],
        ['first.pdf', firstSigned],
        ['both.pdf', bothSigned],
      ] as const) {
        const result = qpdfCheck(file, name);
        expect({ name, status: result.status, stderr: result.stderr }).toEqual({ name, status: 0, stderr: '' });
        expect(result.stdout).toContain('No syntax or stream encoding errors found');
      }
    });

    it('the incremental update keeps the signed bytes and chains a classic xref section to the previous one', () => {
      expect(bothSigned.subarray(0, firstSigned.length).equals(firstSigned)).toBe(true);
      expect(firstSigned.length).toBe(unsigned.length);

      const before = lastTrailer(firstSigned);
      const after = lastTrailer(bothSigned);
      const entry = (trailer: string, key: string) => new RegExp(`/${key} ([^\\n]+)`).exec(trailer)?.[1];
      expect(entry(after, 'Prev')).toBe(String(startxrefOf(firstSigned)));
      expect(entry(after, 'Root')).toBe(entry(before, 'Root'));
      expect(entry(after, 'Info')).toBe(entry(before, 'Info'));
      expect(entry(after, 'ID')).toBe(entry(before, 'ID'));
      expect(entry(after, 'ID')).toContain(documentId.toString());
      expect(Number(entry(after, 'Size'))).toBe(Number(entry(before, 'Size')) + 1);
      expect(bothSigned.toString('latin1', startxrefOf(bothSigned), startxrefOf(bothSigned) + 5)).toBe('xref\n');

      // qpdf resolves every object through the xref chain; each offset must land on its "n g obj".
      const path = join(pki.dir, 'both.pdf');
      writeFileSync(path, bothSigned);
      const xref = execFileSync('qpdf', ['--show-xref', path], { encoding: 'utf8' });
      const entries = [...xref.matchAll(/^(\d+)\/(\d+): uncompressed; offset = (\d+)$/gm)];
      expect(entries.length).toBeGreaterThan(10);
      for (const [, number, generation, offset] of entries) {
        const at = Number(offset);
        expect(bothSigned.toString('latin1', at, at + 20)).toMatch(new RegExp(`^${number} ${generation} obj\\n`));
      }
      const district = prepared.fields[1];
      const fieldOffset = Number(entries.find(([, number]) => Number(number) === district.objectNumber)![3]);
      expect(fieldOffset).toBeGreaterThanOrEqual(firstSigned.length);
    });

    it('each CMS carries exactly the three CAdES signed attributes and verifies with OpenSSL over its ranges', () => {
      const signatures = signaturesIn(bothSigned);
      expect(signatures).toHaveLength(2);
      expect(signatures[0].byteRange[0]).toBe(0);
      const last = signatures[1].byteRange;
      expect(last[2] + last[3]).toBe(bothSigned.length);
      signatures.forEach((signature, index) => {
        const cms = readCades(signature.cms);
        expect(cms.signedAttributeTypes).toEqual([OID.contentType, OID.messageDigest, OID.signingCertificateV2]);
        expect(bytesOf(cms.signedAttribute(OID.messageDigest))).toEqual(
          createHash('sha256').update(signature.signedBytes).digest(),
        );
        expect(cms.certificates).toEqual([pki.signers[index].input.certificate, pki.issuingCa, pki.root]);

        writeFileSync(join(pki.dir, `signature-${index}.der`), signature.cms);
        writeFileSync(join(pki.dir, `signed-${index}.bin`), signature.signedBytes);
        const verified = spawnSync(
          'openssl',
          ['cms', '-verify', '-binary', '-inform', 'DER', '-in', `signature-${index}.der`].concat([
            '-content',
            `signed-${index}.bin`,
            '-CAfile',
            pki.rootPemPath,
            '-out',
            '/dev/null',
          ]),
          { cwd: pki.dir, encoding: 'utf8' },
        );
        expect(verified.stderr).toContain('Verification successful');
      });
    });

    /** `file` with the byte at `position` changed; its verdicts from pdfsig, one per signature field it finds. */
    function verdictsAfterFlip(file: Buffer, position: number, name: string) {
      const tampered = Buffer.from(file);
      tampered[position] ^= 0x01;
      return pdfsig(tampered, name).signatures.map(verdict);
    }

    /** `count` positions drawn from [from, to) outside the `gap` left for a /Contents string. */
    function positionsOutside(seed: number, count: number, from: number, to: number, gap: [number, number]) {
      const random = seededRandom(seed);
      const gapLength = gap[1] - gap[0];
      return Array.from({ length: count }, () => {
        const candidate = from + Math.floor(random() * (to - from - gapLength));
        return candidate < gap[0] ? candidate : candidate + gapLength;
      });
    }

    it('a changed document date makes pdfsig report a digest mismatch for both signatures', () => {
      const position = bothSigned.indexOf('/CreationDate (D:', 0, 'latin1') + '/CreationDate (D:'.length;
      expect(position).toBeLessThan(signaturesIn(bothSigned)[0].byteRange[1]);
      expect(verdictsAfterFlip(bothSigned, position, 'tampered-date.pdf')).toEqual(['invalid', 'invalid']);
    });

    it('a byte changed anywhere the first signature covers leaves neither signature valid', () => {
      const [, gapStart, gapEnd] = signaturesIn(bothSigned)[0].byteRange;
      const seed = algorithm === 'ec-p256' ? 1 : 2;
      positionsOutside(seed, 8, 0, firstSigned.length, [gapStart, gapEnd]).forEach((position, i) => {
        // A change in an object's syntax (say a field's /FT or /V) can hide a signature from pdfsig
        // altogether or leave it unverifiable; what must never happen is a signature still valid.
        const verdicts = verdictsAfterFlip(bothSigned, position, `tampered-first-${i}.pdf`);
        expect({ position, verdicts }).toEqual({ position, verdicts: expect.not.arrayContaining(['valid']) });
      });
    });

    it('a changed signing time in the incremental update invalidates the second signature only', () => {
      const second = signaturesIn(bothSigned)[1];
      const position = bothSigned.indexOf('/M (D:', second.byteRange[2], 'latin1') + '/M (D:'.length;
      expect(position).toBeGreaterThan(second.byteRange[2]);
      expect(verdictsAfterFlip(bothSigned, position, 'tampered-time.pdf')).toEqual(['valid', 'invalid']);
    });

    it('a byte changed anywhere in the incremental update leaves the first signature valid, the second not', () => {
      const [, gapStart, gapEnd] = signaturesIn(bothSigned)[1].byteRange;
      const seed = algorithm === 'ec-p256' ? 3 : 4;
      positionsOutside(seed, 8, firstSigned.length, bothSigned.length, [gapStart, gapEnd]).forEach((position, i) => {
        const [first, ...rest] = verdictsAfterFlip(bothSigned, position, `tampered-update-${i}.pdf`);
        expect({ position, first, rest }).toEqual({
          position,
          first: 'valid',
          rest: expect.not.arrayContaining(['valid']),
        });
      });
    });

    it('bytes appended after the last signature are reported as not covered by it', () => {
      const extended = Buffer.concat([bothSigned, Buffer.from('\n% appended after signing\n', 'latin1')]);
      const report = pdfsig(extended, 'extended.pdf');
      expect(report.signatures).toHaveLength(2);
      expect(report.signatures[1]).toContain('Not total document signed');
      expect(report.output).not.toMatch(/^\s*- Total document signed$/m);
    });

    it('refuses to sign a field that is signed already', async () => {
      const info = { signedAt: new Date(), reason: '重复盖章', contentsSize: prepared.contentsSize };
      await expect(appendPdfSignature(bothSigned, prepared, 'district', info, pki.signers[1].input)).rejects.toThrow(
        'signed already',
      );
    });

    it('refuses to write a CMS larger than the space reserved for it', async () => {
      const doc = await PDFDocument.create();
      doc.addPage();
      const small = addSignatureFields(
        doc,
        [{ name: 'only', pageIndex: 0, rect: { x: 0, y: 0, width: 10, height: 10 } }],
        {
          signedAt: new Date(),
          reason: '测试',
          contentsSize: 1000,
        },
      );
      const saved = await doc.save({ useObjectStreams: false });
      await expect(signPreparedPdf(saved, small, pki.signers[0].input)).rejects.toThrow(/only 1000 were reserved/);
    });
  });
});
