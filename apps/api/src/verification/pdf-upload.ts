import type { FastifyRequest } from 'fastify';
import { VerificationErrorCode, VerificationException } from '@zhengming/verification';
import { HttpErrorCode, HttpErrorException } from '../http/http-error';
import { MULTIPART_LIMITS } from '../applications/material-upload';

export interface PdfUploadOptions<Field extends string> {
  /** Text fields accepted beside `file` (each at most once); any other part is refused. */
  fields?: readonly Field[];
  /** The refusal of a file over `maxBytes`; the PDF check's PDF_TOO_LARGE by default. */
  tooLarge?: (maxBytes: number) => Error;
}

/**
 * Reads the one `file` part of a PDF upload (and the text fields named in `options`). The file is
 * buffered up to `maxBytes` and no further: a larger one is refused while it streams in.
 */
export async function readPdfUpload(request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  return (await readPdfUploadWithFields(request, maxBytes, {})).file;
}

export async function readPdfUploadWithFields<Field extends string>(
  request: FastifyRequest,
  maxBytes: number,
  options: PdfUploadOptions<Field>,
): Promise<{ file: Buffer; fields: Partial<Record<Field, string>> }> {
  if (!request.isMultipart()) {
    throw new HttpErrorException(HttpErrorCode.UnsupportedMediaType, { expected: 'multipart/form-data' });
  }
  const allowed: readonly string[] = options.fields ?? [];
  const tooLarge =
    options.tooLarge ??
    ((limit: number) => new VerificationException(VerificationErrorCode.PdfTooLarge, { maxBytes: limit }));
  // A stray field is read (and refused by name) rather than cut off by the parser's limit.
  const fieldLimit = Math.max(MULTIPART_LIMITS.fields, allowed.length + 1);
  const limits = { ...MULTIPART_LIMITS, fields: fieldLimit, parts: fieldLimit + 1, fileSize: maxBytes };
  let file: Buffer | undefined;
  const fields: Partial<Record<Field, string>> = {};
  try {
    for await (const part of request.parts({ limits })) {
      if (part.type === 'field' && allowed.includes(part.fieldname) && !(part.fieldname in fields)) {
        fields[part.fieldname as Field] = String(part.value);
        continue;
      }
      if (part.type !== 'file' || part.fieldname !== 'file' || file) {
        throw new HttpErrorException(HttpErrorCode.ValidationFailed, {
          fields: [
            {
              field: part.fieldname.slice(0, 32),
              problems: [`only the fields ${['file', ...allowed].join(', ')} are accepted, each once`],
            },
          ],
        });
      }
      file = await part.toBuffer();
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
    if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
      throw new HttpErrorException(HttpErrorCode.ValidationFailed, {
        fields: [{ field: 'file', problems: ['one file per request'] }],
      });
    }
    if (code?.startsWith('FST_')) {
      throw new HttpErrorException(HttpErrorCode.MalformedRequest, { reason: 'multipart body could not be read' });
    }
    throw error;
  }
  if (!file || file.length === 0) {
    throw new HttpErrorException(HttpErrorCode.ValidationFailed, {
      fields: [{ field: 'file', problems: ['file is required'] }],
    });
  }
  return { file, fields };
}
