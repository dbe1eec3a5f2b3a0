import { computed, reactive } from 'vue';
import { ApiError, api } from './api';
import { errors } from './messages';

export type StaffRole = 'clerk' | 'approver' | 'supervisor' | 'admin';

export interface OrganizationRef {
  code: string;
  name: string;
}

export interface Organization extends OrganizationRef {
  level: string;
  levelName: string;
  parent: OrganizationRef | null;
}

export interface RoleAssignment {
  role: StaffRole;
  roleName: string;
  organization: Organization;
}

/** `GET /api/me`. Name, ID number and phone arrive masked; the page shows them as they are. */
export interface Me {
  id: string;
  name: string;
  idNumber: string;
  phone: string;
  assuranceLevel: number;
  roles: RoleAssignment[];
}

interface SessionState {
  me: Me | null;
  /** True once `/api/me` has answered (with a user or with 401). */
  loaded: boolean;
  /** A failure other than "not logged in" (network, server): the app cannot tell who the user is. */
  loadError: ApiError | null;
}

export const session = reactive<SessionState>({ me: null, loaded: false, loadError: null });

export const isStaff = computed(() => (session.me?.roles.length ?? 0) > 0);

let pending: Promise<Me | null> | undefined;

/**
 * The current user, from the cache unless `force`; null when not logged in. Other failures are
 * recorded in `session.loadError` and rethrown.
 */
export function loadMe(force = false): Promise<Me | null> {
  if (session.loaded && !force) return Promise.resolve(session.me);
  pending ??= api
    .get<Me>('/api/me', { notifySessionExpired: false })
    .then(
      (me) => {
        session.me = me;
        session.loadError = null;
        return me;
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) {
          session.me = null;
          session.loadError = null;
          return null;
        }
        session.loadError = error instanceof ApiError ? error : new ApiError(0, 'UNEXPECTED', errors.unexpected);
        throw error;
      },
    )
    .finally(() => {
      session.loaded = true;
      pending = undefined;
    });
  return pending;
}

/** Forget the user locally (after logout, or when the API says the session is gone). */
export function clearSession(): void {
  session.me = null;
  session.loaded = true;
  session.loadError = null;
}

export async function logout(): Promise<void> {
  await api.post<void>('/api/auth/logout');
  clearSession();
}
