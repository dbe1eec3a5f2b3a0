import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Independent checks of a PDF with Debian's tools, as a relying party would make them: poppler's
 * pdfsig (NSS), pdftotext and pdftoppm, qpdf, and zbarimg. CI installs them (see .ci/run).
 */
export interface PdfSignatureReport {
  signer: string;
  valid: boolean;
  trusted: boolean;
  totalDocumentSigned: boolean;
  subFilter: string;
  hash: string;
  validation: string;
  certificateValidation: string;
}

/** An NSS database that trusts nothing: pdfsig still checks each signature's integrity. */
export function emptyNssDatabase(): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'zm-nss-'));
  execFileSync('certutil', ['-N', '--empty-password', '-d', `sql:${dir}`]);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An NSS database that trusts exactly the given root, as a verifier who imported the district root. */
export function trustingNssDatabase(rootDer: Buffer): { dir: string; dispose(): void } {
  const { dir, dispose } = emptyNssDatabase();
  const pem = join(dir, 'root.pem');
  writeFileSync(pem, new X509Certificate(rootDer).toString());
  execFileSync('certutil', ['-A', '-n', 'district-root', '-t', 'CT,C,C', '-i', pem, '-d', `sql:${dir}`]);
  return { dir, dispose };
}

/** pdfsig's verdict for every signature of the file, in order. */
export async function pdfsig(file: string, nssDir: string): Promise<PdfSignatureReport[]> {
  // pdfsig exits non-zero when a signature is invalid; its report is still what we want to read.
  const output = await run('pdfsig', ['-nssdir', `sql:${nssDir}`, file]).then(
    (r) => r.stdout,
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  return output
    .split(/^Signature #\d+:$/m)
    .slice(1)
    .map((block) => {
      const field = (name: string) => new RegExp(`- ${name}: (.*)$`, 'm').exec(block)?.[1].trim() ?? '';
      const validation = field('Signature Validation');
      const certificateValidation = field('Certificate Validation');
      return {
        signer: field('Signer Certificate Common Name'),
        valid: validation === 'Signature is Valid.',
        trusted: certificateValidation === 'Certificate is Trusted.',
        totalDocumentSigned: /^\s*- Total document signed$/m.test(block),
        subFilter: field('Signature Type'),
        hash: field('Signing Hash Algorithm'),
        validation,
        certificateValidation,
      };
    });
}

export async function pdfText(file: string): Promise<string> {
  return (await run('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'])).stdout;
}

/** `qpdf --check`; resolves with its report, rejects when qpdf finds errors. */
export async function qpdfCheck(file: string): Promise<string> {
  return (await run('qpdf', ['--check', file])).stdout;
}

/** Renders the first page at `dpi` and reads every QR code on it, as a phone camera would. */
export async function qrCodesOnPage(file: string, dpi = 150): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'zm-qr-'));
  try {
    await run('pdftoppm', ['-r', String(dpi), '-f', '1', '-l', '1', '-png', '-singlefile', file, join(dir, 'page')]);
    return await qrCodesInImage(join(dir, 'page.png'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every QR code zbarimg reads in an image file (a rendered page, a screenshot of a phone's screen). */
export async function qrCodesInImage(file: string): Promise<string[]> {
  const { stdout } = await run('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', file]);
  return stdout.split('\n').filter(Boolean);
}

/** The PDF as bytes again after `qpdf` rewrote it with `args` (encryption, a re-save). */
export async function qpdfRewrite(pdf: Buffer, args: string[]): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'zm-qpdf-'));
  try {
    writeFileSync(join(dir, 'in.pdf'), pdf);
    await run('qpdf', [...args, join(dir, 'in.pdf'), join(dir, 'out.pdf')]);
    return readFileSync(join(dir, 'out.pdf'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
