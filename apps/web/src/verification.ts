// Public verification of certificates (证明核验) as the API answers it, the PDF check, the cached trust list
// for offline checks of presentation codes, the holder's verification log, and how the screens word them.
import { ApiError, api, uploadForm } from './api';
import type { PresentationFailure, TrustList } from './presentation';

export type VerificationStatus = 'valid' | 'expired' | 'revoked' | 'unknown';

/** A certificate as verification shows it: holder name and ID number arrive masked. */
export interface VerifiedCertificate {
  number: string;
  typeCode: string;
  typeName: string;
  committeeName: string;
  committeeCode: string;
  issuedAt: string;
  validUntil: string;
  holderName: string;
  holderIdNumber: string;
  documentSha256: string;
  revokedAt: string | null;
  revocationReason: string | null;
  /** The seal that sealed it: its state when it signed and now. */
  seal?: SealVerification | null;
}

export type SealStatus = 'active' | 'suspended' | 'revoked';

export interface SealState {
  status: SealStatus;
  reason: string | null;
  since: string;
}

export interface SealVerification {
  name: string;
  code: string;
  certificateSerial: string | null;
  atSigning: SealState | null;
  now: SealState;
}

const SEAL_STATE_NAMES: Readonly<Record<SealStatus, string>> = {
  active: '启用',
  suspended: '暂停使用',
  revoked: '已注销',
};

/** 签章时启用，现已注销（村委会撤并）: the seal then and now, in one line a verifier reads at a glance. */
export function sealStateText(seal: SealVerification): string {
  const then = seal.atSigning ? SEAL_STATE_NAMES[seal.atSigning.status] : '未启用';
  const now = SEAL_STATE_NAMES[seal.now.status];
  const reason = seal.now.status !== 'active' && seal.now.reason ? `（${seal.now.reason}）` : '';
  return then === now && !reason ? `签章时及现在均为${now}` : `签章时${then}，现${now}${reason}`;
}

/** `GET /api/verifications/{number}?code=…`. Unknown (or a wrong code) reveals nothing. */
export interface VerificationResult {
  status: VerificationStatus;
  checkedAt: string;
  certificate: VerifiedCertificate | null;
  /** The issuing committee's certificate chain (PEM). */
  chainUrl: string | null;
}

export interface PdfSignatureCheck {
  fieldName: string;
  signerName: string;
  organization: string;
  signingTime: string | null;
  /** The signature time-stamp (PAdES B-T), null without one. */
  timestamp: { time: string | null; authority: string | null; valid: boolean; problem: string | null } | null;
  intact: boolean;
  coversWholeFile: boolean;
  chainsToRoot: boolean;
  problems: string[];
  certificateSerial?: string | null;
  seal?: SealVerification | null;
}

/** `POST /api/verifications/pdf`. */
export interface PdfVerificationResult {
  valid: boolean;
  reasons: string[];
  sha256: string;
  bytes: number;
  signatures: PdfSignatureCheck[];
  certificate: VerifiedCertificate | null;
  certificateStatus: Exclude<VerificationStatus, 'unknown'> | null;
  documentMatches: boolean;
}

export type VerifierSector = 'government' | 'bank' | 'school' | 'other' | 'anonymous';
export type VerificationMethod = 'qr' | 'manual' | 'api' | 'pdf';
export type VerificationOutcome = 'valid' | 'expired' | 'revoked' | 'unknown' | 'invalid';

/** One line of the holder's log (`GET /api/me/verifications`). */
export interface VerificationLogItem {
  id: string;
  certificateNumber: string;
  typeName: string;
  /** The verifying institution's name, or 匿名. */
  verifier: string;
  sector: VerifierSector;
  sectorName: string;
  method: VerificationMethod;
  methodName: string;
  result: VerificationOutcome;
  at: string;
}

export interface VerificationLogPage {
  items: VerificationLogItem[];
  total: number;
}

export const PDF_MAX_BYTES = 10 * 1024 * 1024;
export const LOG_PAGE_SIZE = 20;

export const verificationApi = {
  lookup: (number: string, code: string, source: 'qr' | 'manual') =>
    api.get<VerificationResult>(
      `/api/verifications/${encodeURIComponent(number)}?code=${encodeURIComponent(code)}&source=${source}`,
    ),
  pdf: (file: File, onProgress?: (fraction: number) => void) =>
    uploadForm<PdfVerificationResult>(
      '/api/verifications/pdf',
      () => {
        const form = new FormData();
        form.append('file', file, file.name);
        return form;
      },
      onProgress,
    ),
  trustList: () => api.get<TrustList>('/api/trust-list', { notifySessionExpired: false }),
  log: (offset: number, limit = LOG_PAGE_SIZE) =>
    api.get<VerificationLogPage>(`/api/me/verifications?offset=${offset}&limit=${limit}`),
};

// ---------------------------------------------------------------------------------------------------
// What people type.

/** 12-digit committee code, two letters, year, six-digit serial, check characters. */
const NUMBER_PARTS = /^(\d{12})([A-Z]{2})(\d{4})(\d{6})([0-9A-Z]{1,2})$/;

/**
 * A certificate number as typed or scanned, printed (`440118001001-EV-2026-000123-K7`) or compact
 * (`440118001001EV2026000123K7`), in the printed form; anything else (upper-cased, without spaces) is
 * left for the API to judge. Empty when nothing usable was typed.
 */
export function normalizeCertificateNumber(input: string): string {
  const compact = input.replace(/[\s\-－—_]/g, '').toUpperCase();
  if (!/^[0-9A-Z]+$/.test(compact)) return '';
  const parts = NUMBER_PARTS.exec(compact);
  return parts ? parts.slice(1).join('-') : compact;
}

const CODE_CHARS = /^[0-9A-HJKMNP-TV-Z]{8}$/;

/**
 * The 8-character printed verification code (Crockford base32), from what was typed: any case, with
 * spaces or dashes; I and L read as 1 and O as 0, as Crockford's decoding prescribes. Null if not a code.
 */
export function normalizeVerificationCode(input: string): string | null {
  const code = input
    .replace(/[\s\-－—_]/g, '')
    .toUpperCase()
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  return CODE_CHARS.test(code) ? code : null;
}

/** `ABCD-EFGH`, as printed; other input is returned as typed (upper-cased). */
export function formatVerificationCode(input: string): string {
  const code = input.replace(/[\s\-－—_]/g, '').toUpperCase();
  return code.length > 4 && code.length <= 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
}

// ---------------------------------------------------------------------------------------------------
// The trust list, kept for checks without a network.

export const TRUST_LIST_STORAGE_KEY = 'zm.trustList';

export interface CachedTrustList {
  trustList: TrustList;
  /** When this browser fetched it (ISO). */
  fetchedAt: string;
}

function isTrustList(value: unknown): value is TrustList {
  return !!value && typeof value === 'object' && Array.isArray((value as TrustList).keys);
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Storage switched off (some private modes throw on access).
    return null;
  }
}

export function readCachedTrustList(): CachedTrustList | null {
  const raw = storage()?.getItem(TRUST_LIST_STORAGE_KEY);
  if (!raw) return null;
  try {
    const cached = JSON.parse(raw) as Partial<CachedTrustList>;
    if (!isTrustList(cached.trustList) || typeof cached.fetchedAt !== 'string') return null;
    return { trustList: cached.trustList, fetchedAt: cached.fetchedAt };
  } catch {
    return null;
  }
}

let refreshing: Promise<CachedTrustList | null> | undefined;

/**
 * Fetches the trust list and keeps it; on any failure (offline, say) the cached copy stays and is
 * returned. One fetch at a time.
 */
export function refreshTrustList(): Promise<CachedTrustList | null> {
  refreshing ??= verificationApi
    .trustList()
    .then((trustList) => {
      if (!isTrustList(trustList)) return readCachedTrustList();
      const cached: CachedTrustList = { trustList, fetchedAt: new Date().toISOString() };
      try {
        storage()?.setItem(TRUST_LIST_STORAGE_KEY, JSON.stringify(cached));
      } catch {
        // Storage full or switched off: the fresh copy still serves this visit.
      }
      return cached;
    })
    .catch(() => readCachedTrustList())
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

/** Whether the list is past the `nextUpdate` it announced (a key may have been withdrawn since). */
export function trustListStale(cached: CachedTrustList, now = Date.now()): boolean {
  const next = Date.parse(cached.trustList.nextUpdate);
  return Number.isFinite(next) && now > next;
}

// ---------------------------------------------------------------------------------------------------
// Wording.

export const STATUS_TITLES: Readonly<Record<VerificationStatus, string>> = {
  valid: '有效',
  expired: '已过期',
  revoked: '已撤销',
  unknown: '未找到',
};

export const UNKNOWN_TEXT = '未找到该证明，或校验码不正确';

export const PDF_REASON_TEXTS: Readonly<Record<string, string>> = {
  no_signatures: '文件中没有电子签章',
  signature_invalid: '电子签章校验失败，文件内容可能已被篡改',
  not_whole_file: '电子签章未覆盖全文，文件在签署后被追加修改',
  untrusted_signer: '签章证书未链至区级根证书，签章人不受信任',
  timestamp_invalid: '签名时间戳校验失败，签署时间无法证实',
  unknown_document: '未找到该文件的出具记录',
  document_mismatch: '文件与出具记录不一致',
  certificate_revoked: '该证明已被撤销',
  certificate_expired: '该证明已过有效期',
  seal_not_in_force_at_signing: '签章时该电子印章已暂停使用或注销，签章无效',
};

export function pdfReasonText(code: string): string {
  return PDF_REASON_TEXTS[code] ?? `其他问题（${code}）`;
}

export const PRESENTATION_FAILURE_TITLES: Readonly<Record<PresentationFailure | 'no_trust_list', string>> = {
  expired: '出示码已过期',
  bad_signature: '出示码内容被篡改（签名无效）',
  unknown_key: '出示码由未知密钥签发',
  key_not_valid: '出示码签发密钥不在有效期内',
  not_yet_valid: '出示码时间异常',
  malformed: '无法识别的出示码',
  unsupported: '当前浏览器无法离线核验',
  no_trust_list: '尚未缓存信任列表，请联网打开一次本页',
};

export const PRESENTATION_FAILURE_HINTS: Readonly<Record<PresentationFailure | 'no_trust_list', string>> = {
  expired: '请持证人刷新后重新出示。',
  bad_signature: '该出示码不是由出具系统签发的原样内容，请勿采信。',
  unknown_key: '本机缓存的信任列表中没有该签发密钥。如信任列表较旧，请联网刷新本页后重试；否则请勿采信。',
  key_not_valid: '签发该出示码的密钥在签发时不在有效期内，请勿采信。',
  not_yet_valid: '出示码的签发时间晚于本机当前时间，请检查本机时间后重试。',
  malformed: '请确认扫描或粘贴的是正明电子证明的出示码。',
  unsupported: '离线核验需要通过 HTTPS 访问本页，并使用较新版本的浏览器。',
  no_trust_list: '离线核验需要本机保存的信任列表。',
};

/** `3 分钟`, `2 小时 5 分钟`… for how long ago something happened. */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} 秒`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} 分钟`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} 小时 ${minutes % 60} 分钟` : `${hours} 小时`;
  return `${Math.floor(hours / 24)} 天`;
}

export const OUTCOME_TAG_TYPES: Readonly<Record<VerificationOutcome, 'success' | 'warning' | 'danger' | 'default'>> = {
  valid: 'success',
  expired: 'warning',
  revoked: 'danger',
  unknown: 'default',
  invalid: 'danger',
};

export const OUTCOME_NAMES: Readonly<Record<VerificationOutcome, string>> = {
  valid: '有效',
  expired: '已过期',
  revoked: '已撤销',
  unknown: '未找到',
  invalid: '无效',
};

/** The message to show for a failed verification call; a rate limit says how long to wait. */
export function verificationErrorMessage(error: unknown, fallback: string): string {
  if (!(error instanceof ApiError)) return fallback;
  if (error.code === 'VERIFICATION_RATE_LIMITED') {
    const seconds = Number(error.details.retryAfterSeconds);
    return Number.isFinite(seconds) && seconds > 0
      ? `核验过于频繁，请 ${Math.ceil(seconds)} 秒后再试`
      : '核验过于频繁，请稍后再试';
  }
  return error.message;
}

const pad = (value: number) => String(value).padStart(2, '0');

/** `2026-03-01 09:30:05` in the browser's time zone. */
export function formatDateTimeSeconds(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** `4 分 05 秒` for a countdown; seconds alone below a minute. */
export function countdownText(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return s < 60 ? `${s} 秒` : `${Math.floor(s / 60)} 分 ${pad(s % 60)} 秒`;
}
