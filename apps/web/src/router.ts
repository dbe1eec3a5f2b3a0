import { createRouter, createWebHistory, type LocationQueryValue, type RouteLocationRaw } from 'vue-router';
import { loadMe, session } from './session';

declare module 'vue-router' {
  interface RouteMeta {
    requiresAuth?: boolean;
    /** Show the bottom tab bar on this page. */
    tabbar?: boolean;
    /** Use the whole window on a desktop or wall display instead of the phone-width column. */
    wide?: boolean;
  }
}

const defaultAfterLogin = '/me';

/**
 * The page to return to after login, from `?redirect=`. Only a path of this app is accepted: no other
 * origin (`//host`, `/\host`, `https:`) and no API route, so the login link cannot be made to send
 * people elsewhere.
 */
export function returnPath(value: LocationQueryValue | LocationQueryValue[] | undefined): string {
  const path = Array.isArray(value) ? value[0] : value;
  if (!path || !path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return defaultAfterLogin;
  if (path === '/login' || path.startsWith('/login?') || path.startsWith('/api/') || path === '/api') {
    return defaultAfterLogin;
  }
  return path;
}

/** Where to send someone who must log in first, so that they come back to `path` afterwards. */
export function loginRoute(path: string): RouteLocationRaw {
  return { path: '/login', query: { redirect: path } };
}

export const router = createRouter({
  // The API answers any non-/api GET that is not a file with index.html, so history mode survives a reload.
  history: createWebHistory('/'),
  routes: [
    {
      path: '/',
      component: { render: () => null },
      beforeEnter: async () => ((await loadMe().catch(() => null)) ? '/me' : '/login'),
    },
    {
      path: '/login',
      name: 'login',
      component: () => import('./pages/LoginPage.vue'),
      // Someone already known to be logged in has nothing to do here, unless a failed login is reported.
      beforeEnter: (to) => (session.me && !to.query.error ? returnPath(to.query.redirect) : true),
    },
    {
      path: '/me',
      name: 'me',
      component: () => import('./pages/MePage.vue'),
      meta: { requiresAuth: true, tabbar: true },
    },
    {
      path: '/staff',
      name: 'staff',
      component: () => import('./pages/StaffPage.vue'),
      meta: { requiresAuth: true, tabbar: true },
    },
    {
      path: '/apply',
      name: 'apply',
      component: () => import('./pages/ApplyPage.vue'),
      meta: { requiresAuth: true, tabbar: true },
    },
    {
      path: '/apply/:typeCode',
      name: 'apply-committee',
      component: () => import('./pages/ChooseCommitteePage.vue'),
      meta: { requiresAuth: true },
    },
    {
      path: '/applications',
      name: 'applications',
      component: () => import('./pages/ApplicationsPage.vue'),
      meta: { requiresAuth: true, tabbar: true },
    },
    {
      path: '/applications/:id',
      name: 'application',
      component: () => import('./pages/ApplicationPage.vue'),
      meta: { requiresAuth: true },
    },
    {
      path: '/applications/:id/edit',
      name: 'application-edit',
      component: () => import('./pages/ApplicationEditPage.vue'),
      meta: { requiresAuth: true },
    },
    {
      path: '/applications/:id/supplement',
      name: 'application-supplement',
      component: () => import('./pages/SupplementPage.vue'),
      meta: { requiresAuth: true },
    },
    {
      path: '/notifications',
      name: 'notifications',
      component: () => import('./pages/NotificationsPage.vue'),
      meta: { requiresAuth: true, tabbar: true },
    },
    {
      path: '/queue',
      name: 'queue',
      component: () => import('./pages/QueuePage.vue'),
      meta: { requiresAuth: true, tabbar: true },
    },
    {
      path: '/review/:id',
      name: 'review',
      component: () => import('./pages/ReviewPage.vue'),
      meta: { requiresAuth: true },
    },
    {
      // The API decides who may read the registry (district admins); anyone else sees its refusal here.
      path: '/admin/seals',
      name: 'seals',
      component: () => import('./pages/SealsPage.vue'),
      meta: { requiresAuth: true },
    },
    {
      // Like the seals: the API decides who may read the power supply push queue (district admins).
      path: '/admin/deliveries',
      name: 'deliveries',
      component: () => import('./pages/DeliveriesPage.vue'),
      meta: { requiresAuth: true },
    },
    {
      // Staff only; the API narrows every figure to the caller's district, town or committee.
      path: '/reports',
      name: 'reports',
      component: () => import('./pages/ReportsPage.vue'),
      meta: { requiresAuth: true, wide: true },
    },
    {
      path: '/admin/seals/:id',
      name: 'seal',
      component: () => import('./pages/SealPage.vue'),
      meta: { requiresAuth: true },
    },
    {
      // Public: what the QR printed on a certificate opens (/v/<number>?c=<code>), what a presentation
      // code opens (/v#p=<token>, checked offline), and the form for both. No login, no tab bar.
      path: '/v/:number?',
      name: 'verify',
      component: () => import('./pages/VerifyPage.vue'),
    },
    {
      path: '/me/enterprise-seals',
      name: 'enterprise-seals',
      component: () => import('./pages/EnterpriseSealsPage.vue'),
      meta: { requiresAuth: true },
    },
    {
      path: '/me/verifications',
      name: 'verifications',
      component: () => import('./pages/VerificationsPage.vue'),
      meta: { requiresAuth: true },
    },
    { path: '/:unknown(.*)*', redirect: '/' },
  ],
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
});

router.beforeEach(async (to) => {
  if (!to.meta.requiresAuth) return true;
  try {
    const me = await loadMe();
    return me ? true : loginRoute(to.fullPath);
  } catch {
    // Not a 401 (network, server): App.vue shows `session.loadError` with a retry, rather than
    // pretending the user is logged out.
    return true;
  }
});
