// Enterprise e-seals as the API sends them (企业电子印章): a legal representative's applications and
// seals, the users named for each, the use log, and the seal-use call that returns the sealed PDF.
import { api, postFormForFile } from './api';

export type EnterpriseSealKind = 'official' | 'finance' | 'contract' | 'invoice';
export type EnterpriseApplicationStatus = 'submitted' | 'approved' | 'rejected';

export const SEAL_KIND_OPTIONS: readonly { kind: EnterpriseSealKind; name: string }[] = [
  { kind: 'official', name: '公章' },
  { kind: 'finance', name: '财务专用章' },
  { kind: 'contract', name: '合同专用章' },
  { kind: 'invoice', name: '发票专用章' },
];

export const APPLICATION_STATUS_NAMES: Readonly<Record<EnterpriseApplicationStatus, string>> = {
  submitted: '待审核',
  approved: '已制发',
  rejected: '不予制发',
};

export const SEAL_STATUS_NAMES: Readonly<Record<string, string>> = {
  active: '使用中',
  suspended: '已暂停',
  revoked: '已注销',
};

export interface MaskedPerson {
  id: string;
  name: string;
  idNumber: string;
}

export interface EnterpriseApplication {
  id: string;
  creditCode: string;
  enterpriseName: string;
  applicant: MaskedPerson;
  sealKinds: EnterpriseSealKind[];
  status: EnterpriseApplicationStatus;
  decisionReason: string | null;
  createdAt: string;
  seals: { id: string; kind: EnterpriseSealKind; code: string }[];
}

export interface EnterpriseSeal {
  id: string;
  code: string;
  kind: EnterpriseSealKind;
  kindName: string;
  enterprise: { id: string; name: string; creditCode: string };
  status: string;
  statusReason: string | null;
  manageable: boolean;
  usable: boolean;
  users: { id: string; person: MaskedPerson; grantedAt: string }[] | null;
}

export interface SealUseEntry {
  id: string;
  usedAt: string;
  person: MaskedPerson | null;
  apiKeyId: string | null;
  documentSha256: string;
  page: number;
}

const seal = (id: string, suffix = '') => `/api/enterprise-seals/${encodeURIComponent(id)}${suffix}`;
const application = (id: string, suffix = '') => `/api/enterprise-seal-applications/${encodeURIComponent(id)}${suffix}`;

export const enterpriseSealsApi = {
  apply: (body: { creditCode: string; enterpriseName: string; sealKinds: EnterpriseSealKind[] }) =>
    api.post<EnterpriseApplication>('/api/enterprise-seal-applications', body),
  applications: (status?: EnterpriseApplicationStatus) =>
    api.get<{ total: number; items: EnterpriseApplication[] }>(
      `/api/enterprise-seal-applications${status ? `?status=${status}` : ''}`,
    ),
  approve: (id: string) => api.post<EnterpriseApplication>(application(id, '/approve')),
  reject: (id: string, reason: string) => api.post<EnterpriseApplication>(application(id, '/reject'), { reason }),
  seals: () => api.get<{ items: EnterpriseSeal[] }>('/api/enterprise-seals'),
  addUser: (id: string, name: string, idNumber: string) =>
    api.post<EnterpriseSeal>(seal(id, '/users'), { name, idNumber }),
  removeUser: (id: string, userId: string) => api.delete<void>(seal(id, `/users/${encodeURIComponent(userId)}`)),
  uses: (id: string) => api.get<{ total: number; items: SealUseEntry[] }>(seal(id, '/uses')),
  /** Seals `file` on `page` (from 1) with the seal's centre at (x, y) points; the sealed PDF comes back. */
  use: (id: string, file: File, page: number, x: number, y: number) =>
    postFormForFile(seal(id, '/uses'), () => {
      const form = new FormData();
      form.append('page', String(page));
      form.append('x', String(x));
      form.append('y', String(y));
      form.append('file', file);
      return form;
    }),
};
