// The application workflow's data as the API sends it, the calls that move it, and the small
// formatting helpers its screens share.
import { ApiError, api, uploadForm } from './api';

export type ApplicationStatus =
  | 'draft'
  | 'submitted'
  | 'in_review'
  | 'supplement_requested'
  | 'approved'
  | 'issued'
  | 'rejected'
  | 'withdrawn'
  | 'revoked';

export type ApplicationAction =
  'edit' | 'upload' | 'submit' | 'withdraw' | 'resubmit' | 'accept' | 'request_supplement' | 'reject' | 'approve';

export type MaterialKind = 'image' | 'pdf';

export interface Clock {
  limitWorkingDays: number;
  usedWorkingDays: number;
  remainingWorkingDays: number;
  dueDate: string | null;
  paused: boolean;
  overdue: boolean;
}

export interface MaterialRequirement {
  key: string;
  name: string;
  accepts: MaterialKind[];
  required: boolean;
  maxFiles: number;
  description: string;
}

export interface MaterialView {
  id: string;
  key: string;
  fileName: string;
  kind: MaterialKind;
  contentType: string;
  sizeBytes: number;
  round: number;
  uploadedAt: string;
  contentUrl: string;
  isNew: boolean;
}

export interface TimelineEntry {
  at: string;
  action: string;
  actionName: string;
  status: ApplicationStatus;
  statusName: string;
  /** 申请人 | 经办人 | 审批人 | 系统 */
  actor: string;
  note: string | null;
}

/** One property of a type's form (JSON Schema draft 2020-12, flat). */
export interface FormProperty {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
}

export interface FormSchema {
  title: string;
  properties: Record<string, FormProperty>;
  required?: string[];
}

export interface SupplementRequest {
  round: number;
  note: string | null;
  requestedAt: string;
  items: { materialKey: string; materialName: string; reason: string }[];
}

export interface ChangesSinceLastRound {
  formFields: { field: string; title: string }[];
  materials: string[];
}

export interface ApplicationView {
  id: string;
  referenceNo: string;
  status: ApplicationStatus;
  statusName: string;
  type: { code: string; name: string; version: number };
  committee: { code: string; name: string };
  /** Masked by the API. */
  applicant: { name: string; isCaller: boolean };
  form: Record<string, unknown>;
  formSchema: FormSchema;
  materialRequirements: MaterialRequirement[];
  materials: MaterialView[];
  round: number;
  supplementRequest: SupplementRequest | null;
  changesSinceLastRound: ChangesSinceLastRound | null;
  rejectionReason: string | null;
  timeline: TimelineEntry[];
  clock: Clock | null;
  allowedActions: ApplicationAction[];
  createdAt: string;
  updatedAt: string;
  submittedAt: string | null;
}

export interface ApplicationSummary {
  id: string;
  referenceNo: string;
  status: ApplicationStatus;
  statusName: string;
  type: { code: string; name: string };
  committee: { code: string; name: string };
  applicantName: string;
  submittedAt: string | null;
  updatedAt: string;
  clock: Clock | null;
}

export interface ApplicationPage {
  items: ApplicationSummary[];
  nextCursor: string | null;
}

/** `GET /api/certificate-types` (public). */
export interface CertificateType {
  code: string;
  name: string;
  description: string;
  version: number;
  validityDays: number;
  timeLimitWorkingDays: number;
  formSchema: FormSchema;
  materials: MaterialRequirement[];
}

export interface CommitteeCandidate {
  code: string;
  name: string;
  town: { code: string; name: string };
}

export interface OrganizationItem {
  code: string;
  name: string;
  parent: { code: string; name: string } | null;
}

export interface NotificationItem {
  id: string;
  title: string;
  body: string;
  applicationId: string | null;
  createdAt: string;
  readAt: string | null;
}

/** A field problem of a refused form: `path` is a JSON pointer such as `/phone` (`/` for the whole form). */
export interface FormProblem {
  path: string;
  message: string;
}

export type QueueStatus = 'submitted' | 'in_review' | 'supplement_requested' | 'approved';

const base = '/api/applications';
const at = (id: string, suffix = '') => `${base}/${encodeURIComponent(id)}${suffix}`;

/** The issued certificate of an application (GET /api/applications/{id}/certificate). */
export interface CertificateView {
  id: string;
  number: string;
  status: 'issued' | 'revoked' | 'expired';
  typeName: string;
  committeeName: string;
  issuedAt: string;
  validUntil: string;
  documentSha256: string;
  documentBytes: number;
  downloadUrl: string;
  revokedAt: string | null;
  revocationReason: string | null;
  /** Current effect, where the API also sends it (`status` may then stay `issued` for an expired one). */
  state?: 'valid' | 'expired' | 'revoked';
}

export type CertificateCondition = 'issued' | 'expired' | 'revoked';

/** Whether a certificate is in force, expired or revoked, from `status` and (when sent) `state`. */
export function certificateCondition(certificate: Pick<CertificateView, 'status' | 'state'>): CertificateCondition {
  if (certificate.status === 'revoked' || certificate.state === 'revoked') return 'revoked';
  if (certificate.status === 'expired' || certificate.state === 'expired') return 'expired';
  return 'issued';
}

/** A presentation code (出示码) of an issued certificate: `url` is what its QR carries. */
export interface Presentation {
  token: string;
  url: string;
  expiresAt: string;
}

export const REVOCATION_REASON_MIN = 2;
export const REVOCATION_REASON_MAX = 200;

export const applicationsApi = {
  types: () => api.get<{ items: CertificateType[] }>('/api/certificate-types'),
  type: (code: string) => api.get<CertificateType>(`/api/certificate-types/${encodeURIComponent(code)}`),
  lookupCommittees: (address: string) =>
    api.get<{ candidates: CommitteeCandidate[] }>(`/api/committees/lookup?address=${encodeURIComponent(address)}`),
  committees: (q: string) =>
    api.get<{ items: OrganizationItem[]; total: number }>(
      `/api/organizations?kind=committee&pageSize=100${q ? `&q=${encodeURIComponent(q)}` : ''}`,
    ),
  create: (typeCode: string, committeeCode: string, idempotencyKey: string) =>
    api.post<ApplicationView>(base, { typeCode, committeeCode }, { headers: { 'Idempotency-Key': idempotencyKey } }),
  get: (id: string) => api.get<ApplicationView>(at(id)),
  certificate: (id: string) => api.get<CertificateView>(at(id, '/certificate')),
  present: (id: string) => api.post<Presentation>(at(id, '/certificate/presentations')),
  revokeCertificate: (certificateId: string, reason: string) =>
    api.post<unknown>(`/api/certificates/${encodeURIComponent(certificateId)}/revocation`, { reason }),
  mine: (cursor?: string | null) =>
    api.get<ApplicationPage>(`${base}?mine=true${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
  queue: (status?: QueueStatus | null, cursor?: string | null) =>
    api.get<ApplicationPage>(
      `${base}?queue=true${status ? `&status=${status}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    ),
  save: (id: string, form: Record<string, unknown>) => api.put<ApplicationView>(at(id), { form }),
  submit: (id: string) => api.post<ApplicationView>(at(id, '/submit')),
  resubmit: (id: string) => api.post<ApplicationView>(at(id, '/resubmit')),
  withdraw: (id: string) => api.post<ApplicationView>(at(id, '/withdraw')),
  accept: (id: string) => api.post<ApplicationView>(at(id, '/accept')),
  requestSupplement: (id: string, items: { materialKey: string; reason: string }[], note?: string) =>
    api.post<ApplicationView>(at(id, '/supplement-requests'), note ? { items, note } : { items }),
  reject: (id: string, reason: string) => api.post<ApplicationView>(at(id, '/reject'), { reason }),
  approve: (id: string, comment?: string) => api.post<ApplicationView>(at(id, '/approve'), comment ? { comment } : {}),
  deleteMaterial: (id: string, materialId: string) =>
    api.delete<void>(at(id, `/materials/${encodeURIComponent(materialId)}`)),
  /** Multipart with `key` first, then `file`, so the server knows the requirement before the bytes. */
  uploadMaterial: (id: string, key: string, file: File, onProgress?: (fraction: number) => void) =>
    uploadForm<MaterialView>(
      at(id, '/materials'),
      () => {
        const form = new FormData();
        form.append('key', key);
        form.append('file', file, file.name);
        return form;
      },
      onProgress,
    ),
  notifications: () => api.get<{ items: NotificationItem[]; unread: number }>('/api/notifications'),
  markRead: (id: string) => api.post<void>(`/api/notifications/${encodeURIComponent(id)}/read`),
};

/** A fresh key per page visit; `crypto.randomUUID` needs a secure context, so fall back to random bytes. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The codes of a refused form; the API answers `APPLICATION_FORM_INVALID`. */
export const FORM_INVALID_CODES: readonly string[] = ['APPLICATION_FORM_INVALID', 'CERTIFICATE_FORM_INVALID'];

/** The field problems of a refused form (`details.problems`), keyed by field name ('' for the form itself). */
export function formProblems(error: unknown): Record<string, string> | null {
  if (!(error instanceof ApiError) || !FORM_INVALID_CODES.includes(error.code)) return null;
  const problems = Array.isArray(error.details.problems) ? (error.details.problems as FormProblem[]) : [];
  const byField: Record<string, string> = {};
  for (const problem of problems) {
    if (!problem || typeof problem.message !== 'string') continue;
    const field = typeof problem.path === 'string' ? (problem.path.replace(/^\//, '').split('/')[0] ?? '') : '';
    byField[field] = byField[field] ? `${byField[field]}；${problem.message}` : problem.message;
  }
  if (Object.keys(byField).length === 0) byField[''] = error.message;
  return byField;
}

/** Names listed in an error's details, e.g. `details.missing[].name`. */
export function detailNames(error: ApiError, list: string, field: string): string[] {
  const items = error.details[list];
  if (!Array.isArray(items)) return [];
  return items
    .map((item: unknown) =>
      item && typeof item === 'object'
        ? (item as Record<string, unknown>)[field]
        : typeof item === 'string'
          ? item
          : '',
    )
    .filter((name): name is string => typeof name === 'string' && name.length > 0);
}

export const STATUS_TAG_TYPES: Readonly<
  Record<ApplicationStatus, 'default' | 'primary' | 'success' | 'warning' | 'danger'>
> = {
  draft: 'default',
  submitted: 'primary',
  in_review: 'primary',
  supplement_requested: 'warning',
  approved: 'success',
  issued: 'success',
  rejected: 'danger',
  withdrawn: 'default',
  revoked: 'danger',
};

export const REVIEW_ACTIONS: readonly ApplicationAction[] = ['accept', 'request_supplement', 'reject', 'approve'];

export const QUEUE_FILTERS: readonly { status: QueueStatus | null; label: string }[] = [
  // Without a status the API answers what needs the committee now: submitted and in review.
  { status: null, label: '待处理' },
  { status: 'submitted', label: '待受理' },
  { status: 'in_review', label: '审核中' },
  { status: 'supplement_requested', label: '待补齐' },
  { status: 'approved', label: '出证中' },
];

/**
 * Whether the promised-time-limit clock means anything: while the committee holds the application,
 * and while it waits for the applicant's supplement (paused). Once decided, the clock has stopped.
 */
export function clockShown(status: ApplicationStatus): boolean {
  return status === 'submitted' || status === 'in_review' || status === 'supplement_requested';
}

/** What is left of the promised time limit, as the queue and the review page show it. */
export function clockText(clock: Clock): string {
  if (clock.paused) return '暂停计时（待补齐）';
  if (clock.overdue || clock.remainingWorkingDays < 0) {
    const days = Math.abs(clock.remainingWorkingDays);
    return days > 0 ? `已超期 ${days} 个工作日` : '已超期';
  }
  return `剩余 ${clock.remainingWorkingDays} 个工作日`;
}

const pad = (value: number) => String(value).padStart(2, '0');

/** `2025-06-14 09:30` in the browser's time zone; an all-day date (`2025-06-14`) stays as it is. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function formatDate(value: string | null | undefined): string {
  return formatDateTime(value).slice(0, 10);
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The `accept` attribute for a requirement: images only when only images are accepted. */
export function acceptAttribute(accepts: readonly MaterialKind[]): string {
  const parts: string[] = [];
  if (accepts.includes('image')) parts.push('image/*');
  if (accepts.includes('pdf')) parts.push('application/pdf');
  return parts.join(',') || 'image/*,application/pdf';
}

export function acceptsText(accepts: readonly MaterialKind[]): string {
  return accepts.map((kind) => (kind === 'image' ? '图片' : 'PDF')).join('或');
}

/** How a form value reads on a review page. */
export function answerText(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  if (Array.isArray(value)) return value.map(answerText).join('、');
  if (typeof value === 'boolean') return value ? '是' : '否';
  return String(value);
}
