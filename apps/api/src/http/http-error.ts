import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

/** Errors of the HTTP layer itself: requests that never reach a service. */
export enum HttpErrorCode {
  RouteNotFound = 'ROUTE_NOT_FOUND',
  MalformedJson = 'MALFORMED_JSON',
  MalformedRequest = 'MALFORMED_REQUEST',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  ValidationFailed = 'VALIDATION_FAILED',
  TooManyRequests = 'TOO_MANY_REQUESTS',
  NotReady = 'SERVICE_NOT_READY',
  Internal = 'INTERNAL_ERROR',
}

export const httpErrorMessages: MessageCatalogue<HttpErrorCode> = {
  [HttpErrorCode.RouteNotFound]: '请求的地址不存在',
  [HttpErrorCode.MalformedJson]: '请求内容不是有效的 JSON',
  [HttpErrorCode.MalformedRequest]: '请求格式有误',
  [HttpErrorCode.PayloadTooLarge]: '请求内容过大',
  [HttpErrorCode.UnsupportedMediaType]: '不支持的请求内容类型',
  [HttpErrorCode.ValidationFailed]: '请求参数有误，请按提示修改',
  [HttpErrorCode.TooManyRequests]: '请求过于频繁，请稍后再试',
  [HttpErrorCode.NotReady]: '服务暂未就绪，请稍后再试',
  [HttpErrorCode.Internal]: '系统繁忙，请稍后再试',
};

export class HttpErrorException extends DomainException<HttpErrorCode> {
  constructor(code: HttpErrorCode, details?: unknown) {
    super(code, httpErrorMessages[code], details);
  }
}
