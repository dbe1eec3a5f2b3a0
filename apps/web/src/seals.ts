// The committees' electronic seals as the API sends them to the district admin (印章管理), the calls that
// read the registry and a seal's usage log, and how the screens word a seal's status and algorithm.
import { api } from './api';

export type SealStatus = 'active' | 'suspended' | 'revoked';

/** `GET /api/seals/{id}`. */
export interface Seal {
  id: string;
  /** 13 digits: the committee's code and the seal's generation. */
  code: string;
  name: string;
  committeeId: string;
  committeeCode: string;
  status: SealStatus;
  statusReason: string | null;
  statusChangedAt: string | null;
  /** The seal certificate's serial number, hex. */
  certificateSerial: string;
  notBefore: string;
  notAfter: string;
  algorithm: string;
}

/** One certificate the seal signed (用印记录). */
export interface SealUse {
  certificateId: string;
  number: string;
  typeName: string;
  status: 'pending' | 'issued' | 'revoked';
  signedAt: string | null;
  documentSha256: string | null;
}

export interface OffsetPage<T> {
  total: number;
  items: T[];
}

export interface SealFilter {
  /** Part of the seal's name or code. */
  q?: string;
  status?: SealStatus | null;
}

export const SEAL_PAGE_SIZE = 20;

function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  return search.toString();
}

const at = (id: string, suffix = '') => `/api/seals/${encodeURIComponent(id)}${suffix}`;

export const sealsApi = {
  list: (filter: SealFilter, offset: number, limit = SEAL_PAGE_SIZE) =>
    api.get<OffsetPage<Seal>>(`/api/seals?${query({ q: filter.q?.trim(), status: filter.status, offset, limit })}`),
  get: (id: string) => api.get<Seal>(at(id)),
  uses: (id: string, offset: number, limit = SEAL_PAGE_SIZE) =>
    api.get<OffsetPage<SealUse>>(at(id, `/uses?${query({ offset, limit })}`)),
  suspend: (id: string, reason: string) => api.post<Seal>(at(id, '/suspension'), { reason }),
  reinstate: (id: string) => api.post<Seal>(at(id, '/reinstatement'), {}),
  revoke: (id: string, reason: string) => api.post<Seal>(at(id, '/revocation'), { reason }),
  renew: (id: string) => api.post<Seal>(at(id, '/certificate-renewal')),
  rotateKey: (id: string) => api.post<Seal>(at(id, '/key-rotation'), {}),
  successor: (id: string) => api.post<Seal>(at(id, '/successor')),
};

/** Suspension and revocation need a reason the history and the verifiers show: 2 to 200 characters. */
export const SEAL_REASON_MIN = 2;
export const SEAL_REASON_MAX = 200;

/** The lifecycle steps the seal page offers, by what needs a reason and what is final. */
export type SealAction = 'suspend' | 'reinstate' | 'revoke' | 'renew' | 'rotate' | 'succeed';

export const SEAL_ACTIONS: Readonly<
  Record<SealAction, { label: string; done: string; confirm: string; needsReason: boolean; danger: boolean }>
> = {
  suspend: {
    label: '暂停使用',
    done: '印章已暂停使用',
    confirm: '暂停后该印章不能出具证明，待出具的申请将等待，恢复后自动继续。',
    needsReason: true,
    danger: false,
  },
  reinstate: {
    label: '恢复使用',
    done: '印章已恢复使用',
    confirm: '恢复后该印章可再次出具证明，等待中的申请随即继续出具。',
    needsReason: false,
    danger: false,
  },
  revoke: {
    label: '注销印章',
    done: '印章已注销',
    confirm: '注销后该印章不能再使用且不可恢复，其证书将列入证书吊销列表。',
    needsReason: true,
    danger: true,
  },
  renew: {
    label: '更新证书',
    done: '印章证书已更新',
    confirm: '为该印章签发新证书（密钥不变）；此前签署的证明仍然有效。',
    needsReason: false,
    danger: false,
  },
  rotate: {
    label: '更换密钥',
    done: '印章密钥已更换',
    confirm: '为该印章生成新密钥并签发新证书；此前签署的证明仍然有效。',
    needsReason: false,
    danger: false,
  },
  succeed: {
    label: '启用新印章',
    done: '新印章已启用',
    confirm: '为该村（居）委会签发新一代印章（新编码、新密钥和证书），等待出具的证明随即继续。',
    needsReason: false,
    danger: false,
  },
};

/** What may be done to a seal in its status: once revoked, only issuing its successor. */
export function sealActionsFor(status: SealStatus): SealAction[] {
  switch (status) {
    case 'active':
      return ['suspend', 'renew', 'rotate', 'revoke'];
    case 'suspended':
      return ['reinstate', 'renew', 'rotate', 'revoke'];
    case 'revoked':
      return ['succeed'];
  }
}

export const SEAL_STATUS_NAMES: Readonly<Record<SealStatus, string>> = {
  active: '启用',
  suspended: '暂停使用',
  revoked: '已注销',
};

export const SEAL_STATUS_TAG_TYPES: Readonly<Record<SealStatus, 'success' | 'warning' | 'danger'>> = {
  active: 'success',
  suspended: 'warning',
  revoked: 'danger',
};

export const SEAL_FILTERS: readonly { status: SealStatus | null; label: string }[] = [
  { status: null, label: '全部' },
  { status: 'active', label: SEAL_STATUS_NAMES.active },
  { status: 'suspended', label: SEAL_STATUS_NAMES.suspended },
  { status: 'revoked', label: SEAL_STATUS_NAMES.revoked },
];

const ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  'ec-p256': 'ECDSA P-256',
  'rsa-2048': 'RSA 2048',
};

export function algorithmName(algorithm: string): string {
  return ALGORITHM_NAMES[algorithm] ?? (algorithm || '—');
}

export const SEAL_USE_STATUS_NAMES: Readonly<Record<SealUse['status'], string>> = {
  pending: '签署中',
  issued: '已出具',
  revoked: '已撤销',
};

/** The serial in pairs (`3A 7F …`), as certificate viewers show it, so a person can compare it by eye. */
export function serialText(hex: string): string {
  return (hex.toUpperCase().match(/.{1,2}/g) ?? []).join(' ');
}
