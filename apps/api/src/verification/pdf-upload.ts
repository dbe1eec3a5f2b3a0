import type { FastifyRequest } from 'fastify';
import { VerificationErrorCode, VerificationException } from '@zhengming/verification';
import { HttpErrorCode, HttpErrorException } from '../http/http-error';
import { MULTIPART_LIMITS } from '../applications/material-upload';

/**
 * Reads the one `file` part of a PDF check. The file is buffered up to `maxBytes` and no further: a
 * larger one is refused (413 PDF_TOO_LARGE) while it streams in.
 */
export async function readPdfUpload(request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  if (!request.isMultipart()) {
    throw new HttpErrorException(HttpErrorCode.UnsupportedMediaType, { expected: 'multipart/form-data' });
  }
  let file: Buffer | undefined;
  try {
    for await (const part of request.parts({ limits: { ...MULTIPART_LIMITS, fileSize: maxBytes } })) {
      if (part.type !== 'file' || part.fieldname !== 'file') {
        throw new HttpErrorException(HttpErrorCode.ValidationFailed, {
          fields: [{ field: part.fieldname.slice(0, 32), problems: ['only the field file is accepted'] }],
        });
      }
      file = await part.toBuffer();
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE')
      throw new VerificationException(VerificationErrorCode.PdfTooLarge, { maxBytes });
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
  return file;
}
