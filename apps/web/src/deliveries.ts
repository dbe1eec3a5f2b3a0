// Issued certificates pushed to the power supply company (供电推送): the queue as the district admin
// sees and retries it, the one line a resident sees on an issued application, and how both are worded.
import { ApiError, api } from './api';

export type DeliveryStatus = 'pending' | 'in_flight' | 'delivered' | 'dead';

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'in_flight', 'delivered', 'dead'];

/** One push of one certificate (`GET /api/power-grid-deliveries`). */
export interface Delivery {
  id: string;
  applicationId: string;
  certificateNo: string;
  status: DeliveryStatus;
  statusName: string;
  attempts: number;
  lastError: string | null;
  /** While pending: when the next attempt is due. */
  nextAttemptAt: string | null;
  /** The company's receipt number (受理号), once delivered. */
  receiptNo: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export type DeliveryCounts = Record<DeliveryStatus, number>;

export interface DeliveryPage {
  items: Delivery[];
  total: number;
  /** Over the whole queue, whatever the filter. */
  counts: DeliveryCounts;
}

/** What the applicant may know of the push (`GET /api/applications/{id}/power-grid-delivery`). */
export interface ApplicationDelivery {
  status: DeliveryStatus;
  statusName: string;
  receiptNo: string | null;
  deliveredAt: string | null;
}

export const DELIVERY_PAGE_SIZE = 20;
/** The API's largest `limit`. */
export const DELIVERY_MAX_LIMIT = 200;
/** How often the admin's list refreshes itself while it is on screen. */
export const DELIVERIES_REFRESH_MS = 10_000;
/** How often a resident's page asks again while the push is under way. */
export const APPLICATION_DELIVERY_POLL_MS = 5_000;

function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  return search.toString();
}

const base = '/api/power-grid-deliveries';

export const deliveriesApi = {
  list: (status: DeliveryStatus | null, offset: number, limit = DELIVERY_PAGE_SIZE) =>
    api.get<DeliveryPage>(`${base}?${query({ status, offset, limit })}`),
  retry: (id: string) => api.post<Delivery>(`${base}/${encodeURIComponent(id)}/retry`),
  retryDead: () => api.post<{ revived: number }>(`${base}/retry-dead`),
  /** `null` when the certificate's type is not pushed to the company (`DELIVERY_NOT_FOUND`). */
  forApplication: async (applicationId: string): Promise<ApplicationDelivery | null> => {
    try {
      return await api.get<ApplicationDelivery>(
        `/api/applications/${encodeURIComponent(applicationId)}/power-grid-delivery`,
      );
    } catch (error) {
      if (isNotPushed(error)) return null;
      throw error;
    }
  },
};

/** The API's answer for an application whose certificate type is not pushed. */
export function isNotPushed(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.code === 'DELIVERY_NOT_FOUND';
}

export const DELIVERY_STATUS_NAMES: Readonly<Record<DeliveryStatus, string>> = {
  pending: '待推送',
  in_flight: '推送中',
  delivered: '已推送',
  dead: '推送失败',
};

export const DELIVERY_STATUS_TAG_TYPES: Readonly<Record<DeliveryStatus, 'primary' | 'warning' | 'success' | 'danger'>> =
  {
    pending: 'warning',
    in_flight: 'primary',
    delivered: 'success',
    dead: 'danger',
  };

export const DELIVERY_FILTERS: readonly { status: DeliveryStatus | null; label: string }[] = [
  { status: null, label: '全部' },
  ...DELIVERY_STATUSES.map((status) => ({ status, label: DELIVERY_STATUS_NAMES[status] })),
];

/** A status from the address (`?status=`), or none when it is missing or not one of ours. */
export function deliveryStatusOf(value: unknown): DeliveryStatus | null {
  return DELIVERY_STATUSES.find((status) => status === value) ?? null;
}

/**
 * How many rows a refresh asks for: as many as are on screen (so that a refresh does not drop what
 * "加载更多" brought), at least one page, at most what the API allows.
 */
export function refreshLimit(shown: number): number {
  return Math.min(DELIVERY_MAX_LIMIT, Math.max(DELIVERY_PAGE_SIZE, shown));
}

/** Whether the push is still under way, so that a resident's page should ask again. */
export function deliveryUnderWay(status: DeliveryStatus): boolean {
  return status === 'pending' || status === 'in_flight';
}

/** The line a resident sees under an issued certificate. */
export function applicationDeliveryText(delivery: Pick<ApplicationDelivery, 'status' | 'receiptNo'>): string {
  switch (delivery.status) {
    case 'delivered':
      return delivery.receiptNo ? `已推送供电部门，受理号 ${delivery.receiptNo}` : '已推送供电部门';
    case 'dead':
      return '推送供电部门未成功，工作人员正在处理';
    default:
      return '正在推送供电部门…';
  }
}

export function attemptsText(attempts: number): string {
  return `尝试 ${attempts} 次`;
}
