import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainException } from '@zhengming/domain-errors';
import { HttpErrorCode, HttpErrorException } from './http-error';
import { statusOf } from './error-status';

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** Codes Fastify gives the errors it raises before a request reaches a controller. */
const FASTIFY_CODES: Readonly<Record<string, HttpErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: HttpErrorCode.MalformedJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: HttpErrorCode.MalformedJson,
  FST_ERR_CTP_BODY_TOO_LARGE: HttpErrorCode.PayloadTooLarge,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: HttpErrorCode.MalformedRequest,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: HttpErrorCode.UnsupportedMediaType,
};

const STATUS_CODES: Readonly<Partial<Record<number, HttpErrorCode>>> = {
  [HttpStatus.NOT_FOUND]: HttpErrorCode.RouteNotFound,
  [HttpStatus.PAYLOAD_TOO_LARGE]: HttpErrorCode.PayloadTooLarge,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: HttpErrorCode.UnsupportedMediaType,
  [HttpStatus.TOO_MANY_REQUESTS]: HttpErrorCode.TooManyRequests,
};

/**
 * The one place where errors become HTTP answers, all in the shape
 * `{ code, message (zh-CN), details? }`. A domain code maps through STATUS_OF_CODE; errors of the
 * HTTP layer (unknown route, bad JSON, oversized body) get codes of their own; anything else is a
 * bug, logged with its stack and answered as INTERNAL_ERROR without internals.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    this.send(exception, host.switchToHttp().getResponse<FastifyReply>());
  }

  /** Answers the request with the error: what `catch` does, for a route served outside Nest's pipeline too. */
  send(exception: unknown, reply: FastifyReply): void {
    const { status, body } = this.toAnswer(exception);
    if (status >= 500) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    if (status === HttpStatus.UNAUTHORIZED) void reply.header('www-authenticate', 'Bearer realm="zhengming"');
    const retryAfter = (body.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (status === HttpStatus.TOO_MANY_REQUESTS && typeof retryAfter === 'number') {
      void reply.header('retry-after', String(retryAfter));
    }
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  toAnswer(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof DomainException) {
      const status = statusOf(exception.code);
      if (status === undefined) {
        this.logger.error(`error code ${exception.code} has no HTTP status`);
        return this.internal();
      }
      return { status, body: bodyOf(exception) };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // The readiness check answers 503 with the state of each dependency: worth showing as is.
      if (status === HttpStatus.SERVICE_UNAVAILABLE) {
        return {
          status,
          body: bodyOf(new HttpErrorException(HttpErrorCode.NotReady, exception.getResponse())),
        };
      }
      if (status >= 500) return this.internal();
      const cause = exception.cause as { code?: unknown } | undefined;
      const code =
        (typeof cause?.code === 'string' ? FASTIFY_CODES[cause.code] : undefined) ??
        STATUS_CODES[status] ??
        HttpErrorCode.MalformedRequest;
      return {
        status: statusOf(code) ?? status,
        body: bodyOf(new HttpErrorException(code)),
      };
    }
    return this.internal();
  }

  private internal(): { status: number; body: ErrorBody } {
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: bodyOf(new HttpErrorException(HttpErrorCode.Internal)),
    };
  }
}

function bodyOf(exception: DomainException): ErrorBody {
  return exception.details === undefined
    ? { code: exception.code, message: exception.message }
    : {
        code: exception.code,
        message: exception.message,
        details: exception.details,
      };
}
