import type { FastifyRequest } from 'fastify';
import { MaterialErrorCode, MaterialException } from '@zhengming/applications';
import { HttpErrorCode, HttpErrorException } from '../http/http-error';

export interface MaterialUpload {
  key: string;
  fileName: string | undefined;
  bytes: Buffer;
}

/** @fastify/multipart's limits as registered in bootstrap.ts: one file, one field. */
export const MULTIPART_LIMITS = { files: 1, fields: 2, parts: 3, fieldSize: 256, fieldNameSize: 32, headerPairs: 50 };

/**
 * Reads `key` and `file` from a multipart body. The file is buffered up to the configured size and
 * no further: a larger one is refused while it streams in, not after it has filled memory.
 */
export async function readMaterialUpload(request: FastifyRequest): Promise<MaterialUpload> {
  if (!request.isMultipart()) {
    throw new HttpErrorException(HttpErrorCode.UnsupportedMediaType, { expected: 'multipart/form-data' });
  }
  let key: string | undefined;
  let file: { fileName: string | undefined; bytes: Buffer } | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.fieldname !== 'key') throw unexpectedField(part.fieldname);
        key = String(part.value);
      } else {
        if (part.fieldname !== 'file') throw unexpectedField(part.fieldname);
        file = { fileName: part.filename || undefined, bytes: await part.toBuffer() };
      }
    }
  } catch (error) {
    throw translate(error);
  }
  const problems = [
    ...(key && /^[a-z][a-z0-9-]{0,63}$/.test(key) ? [] : [{ field: 'key', problems: ['key must be a material key'] }]),
    ...(file ? [] : [{ field: 'file', problems: ['file is required'] }]),
  ];
  if (problems.length > 0) throw new HttpErrorException(HttpErrorCode.ValidationFailed, { fields: problems });
  return { key: key!, fileName: file!.fileName, bytes: file!.bytes };
}

function unexpectedField(name: string): HttpErrorException {
  return new HttpErrorException(HttpErrorCode.ValidationFailed, {
    fields: [{ field: name.slice(0, 32), problems: ['only the fields key and file are accepted'] }],
  });
}

function translate(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new MaterialException(MaterialErrorCode.TooLarge, {});
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new HttpErrorException(HttpErrorCode.ValidationFailed, {
        fields: [{ field: 'file', problems: ['one file per request'] }],
      });
    case 'FST_PROTO_VIOLATION':
    case 'FST_MP_PREMATURE_CLOSE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new HttpErrorException(HttpErrorCode.MalformedRequest, { reason: 'multipart body could not be read' });
    default:
      return error;
  }
}
