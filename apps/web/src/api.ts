import { errors } from './messages';

/** Every API error body is `{ code, message, details }`; `message` is Chinese and safe to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Cookie-authenticated writes must carry this header; the API rejects writes without it (CSRF). */
const csrfHeader = { 'X-Requested-With': 'zhengming-web' };

type SessionExpiredListener = () => void;
let sessionExpiredListener: SessionExpiredListener | undefined;

/** Called when a request is still 401 after a refresh attempt, i.e. the user is logged out. */
export function onSessionExpired(listener: SessionExpiredListener): void {
  sessionExpiredListener = listener;
}

let refreshing: Promise<boolean> | undefined;

/** One refresh at a time: parallel 401s share the same attempt instead of racing the refresh cookie. */
function refreshSession(): Promise<boolean> {
  refreshing ??= send('POST', '/api/auth/refresh')
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

async function send(
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...extraHeaders };
  if (method !== 'GET' && method !== 'HEAD') Object.assign(headers, csrfHeader);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', errors.network);
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  return errorFromText(response.status, await response.text().catch(() => ''), response.headers.get('retry-after'));
}

/**
 * The error of a refused request. A `Retry-After` header (seconds) lands in `details.retryAfterSeconds`
 * unless the body already says so.
 */
function errorFromText(status: number, text: string, retryAfter: string | null = null): ApiError {
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && 'code' in body && 'message' in body) {
      const { code, message, details } = body as { code: unknown; message: unknown; details?: unknown };
      if (typeof code === 'string' && typeof message === 'string') {
        const extra = details && typeof details === 'object' ? { ...(details as Record<string, unknown>) } : {};
        if (extra.retryAfterSeconds === undefined && retryAfter && /^\d+$/.test(retryAfter.trim())) {
          extra.retryAfterSeconds = Number(retryAfter.trim());
        }
        return new ApiError(status, code, message, extra);
      }
    }
  } catch {
    // Not JSON (a proxy's error page, say): fall through to the generic message.
  }
  return new ApiError(status, 'UNEXPECTED_RESPONSE', errors.unexpected);
}

export interface RequestOptions {
  body?: unknown;
  /** Tell the session listener when still 401 after a refresh (default true). */
  notifySessionExpired?: boolean;
  /** Extra request headers, such as `Idempotency-Key`. */
  headers?: Record<string, string>;
}

/**
 * Calls the same-origin API with the session cookie. A 401 triggers one refresh of the session and
 * one retry; a second 401 means the user is logged out.
 */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  let response = await send(method, path, options.body, options.headers);
  if (response.status === 401 && !path.startsWith('/api/auth/')) {
    if (await refreshSession()) response = await send(method, path, options.body, options.headers);
    if (response.status === 401 && options.notifySessionExpired !== false) sessionExpiredListener?.();
  }
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch {
    throw new ApiError(response.status, 'UNEXPECTED_RESPONSE', errors.unexpected);
  }
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, { ...options, body }),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('PUT', path, { ...options, body }),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
};

interface XhrResult {
  status: number;
  text: string;
  retryAfter: string | null;
}

function sendForm(path: string, form: FormData, onProgress?: (fraction: number) => void): Promise<XhrResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(csrfHeader)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () =>
      resolve({ status: xhr.status, text: xhr.responseText, retryAfter: xhr.getResponseHeader('retry-after') });
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK_ERROR', errors.network));
    xhr.onabort = () => reject(new ApiError(0, 'NETWORK_ERROR', errors.network));
    xhr.send(form);
  });
}

/**
 * A multipart upload through XMLHttpRequest, which (unlike fetch) reports upload progress. Same
 * session rules as `request`: one refresh and one retry on 401.
 */
export async function uploadForm<T>(
  path: string,
  buildForm: () => FormData,
  onProgress?: (fraction: number) => void,
): Promise<T> {
  let result = await sendForm(path, buildForm(), onProgress);
  if (result.status === 401) {
    if (await refreshSession()) {
      onProgress?.(0);
      result = await sendForm(path, buildForm(), onProgress);
    }
    if (result.status === 401) sessionExpiredListener?.();
  }
  if (result.status < 200 || result.status >= 300) throw errorFromText(result.status, result.text, result.retryAfter);
  try {
    return (result.text ? JSON.parse(result.text) : undefined) as T;
  } catch {
    throw new ApiError(result.status, 'UNEXPECTED_RESPONSE', errors.unexpected);
  }
}

/**
 * A multipart POST whose successful answer is a file (a sealed PDF), not JSON; refusals are the usual
 * coded errors. Same session rules as `request`: one refresh and one retry on 401.
 */
export async function postFormForFile(path: string, buildForm: () => FormData): Promise<Blob> {
  const post = () =>
    fetch(path, { method: 'POST', headers: { ...csrfHeader }, body: buildForm(), credentials: 'same-origin' }).catch(
      () => {
        throw new ApiError(0, 'NETWORK_ERROR', errors.network);
      },
    );
  let response = await post();
  if (response.status === 401) {
    if (await refreshSession()) response = await post();
    if (response.status === 401) sessionExpiredListener?.();
  }
  if (!response.ok) throw await toApiError(response);
  return response.blob();
}

/** The login is a full-page navigation: the API sends the browser to the identity platform. */
export function loginUrl(returnTo: string): string {
  return `/api/auth/login?returnTo=${encodeURIComponent(returnTo)}`;
}
