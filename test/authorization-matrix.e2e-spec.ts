import { randomUUID } from 'node:crypto';
import { idNumberCheckCharacter } from '@zhengming/pii';
import { request, type Answer } from './support/test-app';
import { ApiClient, pngImage, preparedDraft, type ApplicationBody } from './support/applications';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

/**
 * Who may do what, for every route of the API's own route table (its OpenAPI document), every kind
 * of caller, and an object of the caller's own organization and of another one. A route added
 * without an entry here fails the first test; so does an entry whose route is gone.
 */
type Caller = 'anonymous' | 'resident-a' | 'clerk-a' | 'approver-a' | 'supervisor-a' | 'admin' | 'verifier';
type Target = 'own' | 'other';
const CALLERS: Caller[] = ['anonymous', 'resident-a', 'clerk-a', 'approver-a', 'supervisor-a', 'admin', 'verifier'];

/** Committee A (荔城街道) is everyone's "own" place; committee B is in another town (新塘镇). */
const COMMITTEE_A = '440118001001';
const COMMITTEE_B = '440118100001';

interface Context {
  target: Target;
  committee: string;
  admin: Record<string, string>;
  api: (path: string, init?: RequestInit) => Promise<Answer>;
  /** An API client signed in as a seeded user, for setting up objects. */
  as: (username: string) => Promise<ApiClient>;
}

interface RouteRequest {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface RouteCase {
  /** Builds the request; may create what it needs first (as the admin). */
  request(context: Context): Promise<RouteRequest> | RouteRequest;
  expect: Partial<Record<Caller, number | Record<Target, number>>> & { default: number };
  /** The call ends the caller's session (logout): sign in afresh for it. */
  freshSession?: boolean;
}

let idSequence = 100;
function syntheticIdNumber(): string {
  const first17 = `44011819910101${String(idSequence++).padStart(3, '0')}`;
  return first17 + idNumberCheckCharacter(first17);
}

const everyone = (status: number): RouteCase['expect'] => ({ default: status });
const signedIn = (status: number): RouteCase['expect'] => ({ default: status, anonymous: 401, verifier: 403 });
const adminOnly = (status: number): RouteCase['expect'] => ({
  default: 403,
  anonymous: 401,
  admin: status,
});

async function createdId(answer: Answer): Promise<string> {
  const body = answer.body as { id?: string; grantId?: string };
  const id = body.id ?? body.grantId;
  if (!id) throw new Error(`setup failed: ${answer.status} ${answer.text}`);
  return id;
}

async function newInstitution(context: Context): Promise<string> {
  return createdId(
    await context.api('/api/verifier-institutions', {
      method: 'POST',
      headers: { ...context.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '矩阵测试机构', sector: 'school' }),
    }),
  );
}

/** Committee A's and committee B's clerk: who sends an application of the target back for supplements. */
const CLERK_OF: Record<Target, string> = { own: 'clerk-a', other: 'clerk-b' };

/** resident-a's application at the target committee, brought to the state the route acts on. */
async function application(
  context: Context,
  state: 'draft' | 'submitted' | 'supplement_requested' | 'answered',
): Promise<ApplicationBody> {
  const resident = await context.as('resident-a');
  const draft = await preparedDraft(resident, 'weather', context.committee);
  if (state === 'draft') return draft;
  await resident.action(draft.id, 'submit');
  if (state === 'submitted') return draft;
  const clerk = await context.as(CLERK_OF[context.target]);
  await clerk.call('POST', `/api/applications/${draft.id}/supplement-requests`, {
    items: [{ materialKey: 'applicant-id-card', reason: '请重新拍摄' }],
  });
  if (state === 'supplement_requested') return draft;
  await resident.upload(draft.id, 'applicant-id-card', await pngImage(), 'again.png');
  return draft;
}

/** Residents apply; reviewers of the committee act; the owner alone changes their own application. */
const ownerOnly = (status: number): RouteCase['expect'] => ({
  default: 403,
  anonymous: 401,
  'resident-a': status,
});
const readers = (status: number): RouteCase['expect'] => ({
  default: 403,
  anonymous: 401,
  'resident-a': status,
  'clerk-a': { own: status, other: 403 },
  'approver-a': { own: status, other: 403 },
  'supervisor-a': { own: status, other: 403 },
  admin: status,
});
const reviewers = (status: number): RouteCase['expect'] => ({
  default: 403,
  anonymous: 401,
  'clerk-a': { own: status, other: 403 },
  'approver-a': { own: status, other: 403 },
});

/** Statistics: staff, each within their reach (a committee, a town, the district); residents and verifiers never. */
const reportReaders: RouteCase['expect'] = {
  default: 403,
  anonymous: 401,
  'clerk-a': { own: 200, other: 403 },
  'approver-a': { own: 200, other: 403 },
  'supervisor-a': { own: 200, other: 403 },
  admin: 200,
};

const MATRIX: Record<string, RouteCase> = {
  'GET /health': { request: () => ({ path: '/health' }), expect: everyone(200) },
  'GET /health/ready': { request: () => ({ path: '/health/ready' }), expect: everyone(200) },
  'GET /api/organizations': { request: () => ({ path: '/api/organizations' }), expect: everyone(200) },
  'GET /api/organizations/{code}': {
    request: ({ committee }) => ({ path: `/api/organizations/${committee}` }),
    expect: everyone(200),
  },
  'GET /api/certificate-types': { request: () => ({ path: '/api/certificate-types' }), expect: everyone(200) },
  'GET /api/certificate-types/{code}': {
    request: () => ({ path: '/api/certificate-types/guardianship' }),
    expect: everyone(200),
  },
  'GET /api/auth/login': { request: () => ({ path: '/api/auth/login?returnTo=/me' }), expect: everyone(302) },
  'GET /api/auth/callback': { request: () => ({ path: '/api/auth/callback?code=x&state=y' }), expect: everyone(400) },
  'POST /api/auth/refresh': { request: () => ({ path: '/api/auth/refresh', body: {} }), expect: everyone(401) },
  'POST /api/auth/logout': { request: () => ({ path: '/api/auth/logout' }), expect: signedIn(204), freshSession: true },
  'GET /api/me': { request: () => ({ path: '/api/me' }), expect: signedIn(200) },
  'GET /api/organizations/{code}/staff': {
    request: ({ committee }) => ({ path: `/api/organizations/${committee}/staff` }),
    expect: {
      default: 403,
      anonymous: 401,
      'clerk-a': { own: 200, other: 403 },
      'approver-a': { own: 200, other: 403 },
      'supervisor-a': { own: 200, other: 403 },
      admin: 200,
    },
  },
  'POST /api/staff-roles': {
    request: ({ committee }) => ({
      path: '/api/staff-roles',
      body: { name: '矩阵测试', idNumber: syntheticIdNumber(), role: 'clerk', organizationCode: committee },
    }),
    expect: adminOnly(201),
  },
  'DELETE /api/staff-roles/{id}': {
    request: async (context) => {
      const grant = await context.api('/api/staff-roles', {
        method: 'POST',
        headers: { ...context.admin, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: '矩阵测试',
          idNumber: syntheticIdNumber(),
          role: 'approver',
          organizationCode: context.committee,
        }),
      });
      return { path: `/api/staff-roles/${await createdId(grant)}` };
    },
    expect: adminOnly(204),
  },
  'POST /api/verifier-institutions': {
    request: () => ({ path: '/api/verifier-institutions', body: { name: '矩阵测试银行', sector: 'bank' } }),
    expect: adminOnly(201),
  },
  'GET /api/verifier-institutions': { request: () => ({ path: '/api/verifier-institutions' }), expect: adminOnly(200) },
  'GET /api/verifier-institutions/{id}': {
    request: async (context) => ({ path: `/api/verifier-institutions/${await newInstitution(context)}` }),
    expect: adminOnly(200),
  },
  'POST /api/verifier-institutions/{id}/api-keys': {
    request: async (context) => ({
      path: `/api/verifier-institutions/${await newInstitution(context)}/api-keys`,
      body: { label: '矩阵测试' },
    }),
    expect: adminOnly(201),
  },
  'DELETE /api/verifier-institutions/{id}/api-keys/{keyId}': {
    request: async (context) => {
      const institution = await newInstitution(context);
      const key = await context.api(`/api/verifier-institutions/${institution}/api-keys`, {
        method: 'POST',
        headers: { ...context.admin, 'content-type': 'application/json' },
        body: JSON.stringify({ label: '待吊销' }),
      });
      return { path: `/api/verifier-institutions/${institution}/api-keys/${await createdId(key)}` };
    },
    expect: adminOnly(204),
  },
  'GET /api/verifier/me': {
    request: () => ({ path: '/api/verifier/me' }),
    expect: { default: 403, anonymous: 401, verifier: 200 },
  },
  'GET /api/audit-events': { request: () => ({ path: '/api/audit-events?limit=5' }), expect: adminOnly(200) },
  'GET /api/committees/lookup': {
    request: () => ({ path: `/api/committees/lookup?address=${encodeURIComponent('荔城街道城南社区府佑路8号')}` }),
    expect: everyone(200),
  },
  'POST /api/applications': {
    request: ({ committee }) => ({
      path: '/api/applications',
      body: { typeCode: 'weather', committeeCode: committee },
      headers: { 'idempotency-key': `matrix-${randomUUID()}` },
    }),
    expect: signedIn(201),
  },
  'GET /api/applications': { request: () => ({ path: '/api/applications?mine=true' }), expect: signedIn(200) },
  'GET /api/applications/{id}': {
    request: async (context) => ({ path: `/api/applications/${(await application(context, 'draft')).id}` }),
    expect: readers(200),
  },
  'PUT /api/applications/{id}': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'draft')).id}`,
      body: { form: { eventPlace: '增城区荔城街道城南社区' } },
    }),
    expect: ownerOnly(200),
  },
  'POST /api/applications/{id}/materials': {
    request: async (context) => {
      const form = new FormData();
      form.append('key', 'site-photos');
      form.append('file', new Blob([new Uint8Array(await pngImage())]), 'photo.png');
      return { path: `/api/applications/${(await application(context, 'draft')).id}/materials`, body: form };
    },
    expect: ownerOnly(201),
  },
  'DELETE /api/applications/{id}/materials/{materialId}': {
    request: async (context) => {
      const draft = await application(context, 'draft');
      return {
        path: `/api/applications/${draft.id}/materials/${await firstMaterial(context, draft.id)}`,
      };
    },
    expect: ownerOnly(204),
  },
  'GET /api/applications/{id}/materials/{materialId}/content': {
    request: async (context) => {
      const draft = await application(context, 'draft');
      return { path: `/api/applications/${draft.id}/materials/${await firstMaterial(context, draft.id)}/content` };
    },
    expect: readers(200),
  },
  'POST /api/applications/{id}/submit': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'draft')).id}/submit`,
      body: {},
    }),
    expect: ownerOnly(200),
  },
  'POST /api/applications/{id}/withdraw': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'submitted')).id}/withdraw`,
      body: {},
    }),
    expect: ownerOnly(200),
  },
  'POST /api/applications/{id}/resubmit': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'answered')).id}/resubmit`,
      body: {},
    }),
    expect: ownerOnly(200),
  },
  'POST /api/applications/{id}/accept': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'submitted')).id}/accept`,
      body: {},
    }),
    expect: reviewers(200),
  },
  'POST /api/applications/{id}/supplement-requests': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'submitted')).id}/supplement-requests`,
      body: { items: [{ materialKey: 'applicant-id-card', reason: '照片不清晰' }] },
    }),
    expect: reviewers(200),
  },
  'POST /api/applications/{id}/reject': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'submitted')).id}/reject`,
      body: { reason: '不属于本社区证明范围' },
    }),
    expect: reviewers(200),
  },
  'POST /api/applications/{id}/approve': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'submitted')).id}/approve`,
      body: {},
    }),
    expect: { default: 403, anonymous: 401, 'approver-a': { own: 200, other: 403 } },
  },
  // Without a worker in this system nothing is issued: readers learn it is not issued yet (404).
  'GET /api/applications/{id}/certificate': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'submitted')).id}/certificate`,
    }),
    expect: readers(404),
  },
  'GET /api/applications/{id}/certificate.pdf': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'submitted')).id}/certificate.pdf`,
    }),
    expect: readers(404),
  },
  'GET /api/seals': { request: () => ({ path: '/api/seals?limit=2' }), expect: adminOnly(200) },
  'GET /api/seals/{id}': {
    request: async (context) => ({ path: `/api/seals/${await sealOf(context)}` }),
    expect: adminOnly(200),
  },
  'GET /api/seals/{id}/uses': {
    request: async (context) => ({ path: `/api/seals/${await sealOf(context)}/uses` }),
    expect: adminOnly(200),
  },
  'GET /api/seals/{id}/certificates': {
    request: async (context) => ({ path: `/api/seals/${await sealOf(context)}/certificates` }),
    expect: adminOnly(200),
  },
  // The committee's approver may stop its own seal at once; everything else is the district admin's.
  'POST /api/seals/{id}/suspension': {
    request: async (context) => ({
      path: `/api/seals/${await sealIn(context, 'active')}/suspension`,
      body: { reason: '矩阵测试暂停' },
    }),
    expect: { default: 403, anonymous: 401, 'approver-a': { own: 200, other: 404 }, admin: 200 },
  },
  'POST /api/seals/{id}/reinstatement': {
    request: async (context) => ({ path: `/api/seals/${await sealIn(context, 'suspended')}/reinstatement`, body: {} }),
    expect: adminOnly(200),
  },
  'POST /api/seals/{id}/certificate-renewal': {
    request: async (context) => ({ path: `/api/seals/${await sealOf(context)}/certificate-renewal` }),
    expect: adminOnly(200),
  },
  'POST /api/seals/{id}/key-rotation': {
    request: async (context) => ({ path: `/api/seals/${await sealOf(context)}/key-rotation`, body: {} }),
    expect: adminOnly(200),
  },
  // Revoking is final: each call gets a seal of its own, of a committee no other case uses.
  'POST /api/seals/{id}/revocation': {
    request: async (context) => ({
      path: `/api/seals/${await spareSeal(context)}/revocation`,
      body: { reason: '矩阵测试注销', code: 'cessationOfOperation' },
    }),
    expect: adminOnly(200),
  },
  // A revoked committee seal's successor: each call revokes a spare seal of its own first.
  'POST /api/seals/{id}/successor': {
    request: async (context) => {
      const id = await spareSeal(context);
      const revoked = await context.api(`/api/seals/${id}/revocation`, {
        method: 'POST',
        headers: { ...context.admin, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: '矩阵测试准备' }),
      });
      if (revoked.status !== 200) throw new Error(`setup failed: ${revoked.status} ${revoked.text}`);
      return { path: `/api/seals/${id}/successor` };
    },
    expect: adminOnly(201),
  },
  // The CRL is public: relying parties fetch it from the address in every certificate.
  'GET /pki/crl/{file}': {
    request: async (context) => {
      const certificates = await context.api(`/api/seals/${await sealOf(context)}/certificates`, {
        headers: context.admin,
      });
      return { path: new URL((certificates.body as { crlUrl: string }[])[0].crlUrl).pathname };
    },
    expect: everyone(200),
  },
  // Anyone may verify; a verifier's key identifies it. A number without its code reveals nothing (200 unknown).
  'GET /api/verifications/{number}': {
    request: () => ({ path: '/api/verifications/440118001001WT2026000001AA?code=ABCDEFGH' }),
    expect: everyone(200),
  },
  'POST /api/verifications/pdf': {
    request: () => {
      const form = new FormData();
      form.append('file', new Blob(['not a pdf'], { type: 'text/plain' }), 'note.txt');
      return { path: '/api/verifications/pdf', body: form };
    },
    expect: everyone(415),
  },
  'GET /api/trust-list': { request: () => ({ path: '/api/trust-list' }), expect: everyone(200) },
  'GET /api/trust-list/seals/{id}/chain.pem': {
    request: async (context) => ({ path: `/api/trust-list/seals/${await sealOf(context)}/chain.pem` }),
    expect: everyone(200),
  },
  // Nothing is issued in this system: the holder (and only a signed-in person) learns it is not issued yet.
  'POST /api/applications/{id}/certificate/presentations': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'submitted')).id}/certificate/presentations`,
      body: {},
    }),
    expect: signedIn(404),
  },
  'GET /api/me/verifications': { request: () => ({ path: '/api/me/verifications' }), expect: signedIn(200) },
  // Enterprise seals: legal-rep-a's enterprise (see enterpriseSeal); none of the matrix callers is its
  // legal representative or a named user, so they learn nothing of it (404) and may not use it (403).
  'POST /api/enterprise-seal-applications': {
    request: () => ({
      path: '/api/enterprise-seal-applications',
      body: { creditCode: '524401180506821509', enterpriseName: '矩阵测试协会', sealKinds: ['official'] },
    }),
    expect: signedIn(422),
  },
  'GET /api/enterprise-seal-applications': {
    request: () => ({ path: '/api/enterprise-seal-applications' }),
    expect: signedIn(200),
  },
  'GET /api/enterprise-seal-applications/{id}': {
    request: async (context) => ({
      path: `/api/enterprise-seal-applications/${(await enterpriseSeal(context)).applicationId}`,
    }),
    expect: { default: 404, anonymous: 401, verifier: 403, admin: 200 },
  },
  'POST /api/enterprise-seal-applications/{id}/approve': {
    request: () => ({ path: `/api/enterprise-seal-applications/${randomUUID()}/approve` }),
    expect: adminOnly(404),
  },
  'POST /api/enterprise-seal-applications/{id}/reject': {
    request: () => ({ path: `/api/enterprise-seal-applications/${randomUUID()}/reject`, body: { reason: '矩阵测试' } }),
    expect: adminOnly(404),
  },
  'GET /api/enterprise-seals': { request: () => ({ path: '/api/enterprise-seals' }), expect: signedIn(200) },
  'GET /api/enterprise-seals/{id}': {
    request: async (context) => ({ path: `/api/enterprise-seals/${(await enterpriseSeal(context)).sealId}` }),
    expect: { default: 404, anonymous: 401, verifier: 403, admin: 200 },
  },
  'POST /api/enterprise-seals/{id}/users': {
    request: async (context) => ({
      path: `/api/enterprise-seals/${(await enterpriseSeal(context)).sealId}/users`,
      body: { name: '林晓婷', idNumber: '440118199409230226' },
    }),
    expect: signedIn(404),
  },
  'DELETE /api/enterprise-seals/{id}/users/{userId}': {
    request: async (context) => ({
      path: `/api/enterprise-seals/${(await enterpriseSeal(context)).sealId}/users/${randomUUID()}`,
    }),
    expect: signedIn(404),
  },
  'POST /api/enterprise-seals/{id}/uses': {
    request: async (context) => {
      const form = new FormData();
      form.append('page', '1');
      form.append('x', '300');
      form.append('y', '300');
      form.append('file', new Blob(['not a pdf'], { type: 'text/plain' }), 'note.txt');
      return { path: `/api/enterprise-seals/${(await enterpriseSeal(context)).sealId}/uses`, body: form };
    },
    expect: { default: 403, anonymous: 401 },
  },
  'GET /api/enterprise-seals/{id}/uses': {
    request: async (context) => ({ path: `/api/enterprise-seals/${(await enterpriseSeal(context)).sealId}/uses` }),
    expect: { default: 404, anonymous: 401, verifier: 403, admin: 200 },
  },
  'POST /api/enterprises/{id}/api-keys': {
    request: async (context) => ({
      path: `/api/enterprises/${(await enterpriseSeal(context)).enterpriseId}/api-keys`,
      body: { label: '矩阵' },
    }),
    expect: signedIn(403),
  },
  'DELETE /api/enterprises/{id}/api-keys/{keyId}': {
    request: async (context) => ({
      path: `/api/enterprises/${(await enterpriseSeal(context)).enterpriseId}/api-keys/${randomUUID()}`,
    }),
    expect: signedIn(403),
  },
  'POST /api/certificates/{id}/revocation': {
    request: () => ({ path: `/api/certificates/${randomUUID()}/revocation`, body: { reason: '矩阵测试' } }),
    expect: { default: 403, anonymous: 401, 'approver-a': 404, admin: 404 },
  },
  'GET /api/verifications/{number}/document.pdf': {
    request: () => ({ path: '/api/verifications/440118001001WT2026000001AA/document.pdf?code=ABCDEFGH' }),
    expect: everyone(404),
  },
  'GET /api/reports/issuance': {
    request: (context) => ({ path: `/api/reports/issuance?committee=${context.committee}` }),
    expect: reportReaders,
  },
  'GET /api/reports/committees': {
    request: (context) => ({ path: `/api/reports/committees?committee=${context.committee}` }),
    expect: reportReaders,
  },
  'GET /api/reports/efficiency': {
    request: (context) => ({ path: `/api/reports/efficiency?committee=${context.committee}` }),
    expect: reportReaders,
  },
  'GET /api/power-grid-deliveries': { request: () => ({ path: '/api/power-grid-deliveries' }), expect: adminOnly(200) },
  'POST /api/power-grid-deliveries/{id}/retry': {
    request: () => ({ path: `/api/power-grid-deliveries/${randomUUID()}/retry`, body: {} }),
    expect: adminOnly(404),
  },
  'POST /api/power-grid-deliveries/retry-dead': {
    request: () => ({ path: '/api/power-grid-deliveries/retry-dead', body: {} }),
    expect: adminOnly(200),
  },
  // Nothing is issued in this system: whoever may read the application learns there is no delivery (404).
  'GET /api/applications/{id}/power-grid-delivery': {
    request: async (context) => ({
      path: `/api/applications/${(await application(context, 'submitted')).id}/power-grid-delivery`,
    }),
    expect: readers(404),
  },
  'GET /api/notifications': { request: () => ({ path: '/api/notifications' }), expect: signedIn(200) },
  'POST /api/notifications/{id}/read': {
    request: async (context) => {
      await application(context, 'submitted');
      const inbox = await (await context.as('resident-a')).call('GET', '/api/notifications');
      return { path: `/api/notifications/${(inbox.body as { items: { id: string }[] }).items[0].id}/read` };
    },
    // Someone else's message does not exist for the caller.
    expect: { default: 404, anonymous: 401, verifier: 403, 'resident-a': 204 },
  },
};

let issuedEnterpriseSeal: Promise<{ applicationId: string; enterpriseId: string; sealId: string }> | undefined;

/** legal-rep-a's enterprise with one seal, applied for and approved once per run. */
function enterpriseSeal(context: Context) {
  issuedEnterpriseSeal ??= (async () => {
    const legalRepresentative = await context.as('legal-rep-a');
    const applied = await legalRepresentative.call('POST', '/api/enterprise-seal-applications', {
      creditCode: '91440118MA59C3KPXG',
      enterpriseName: '广州增城示例科技有限公司',
      sealKinds: ['official'],
    });
    const applicationId = await createdId(applied);
    const approved = await context.api(`/api/enterprise-seal-applications/${applicationId}/approve`, {
      method: 'POST',
      headers: context.admin,
    });
    const body = approved.body as { enterpriseId: string; seals: { id: string }[] };
    if (approved.status !== 200) throw new Error(`setup failed: ${approved.status} ${approved.text}`);
    return { applicationId, enterpriseId: body.enterpriseId, sealId: body.seals[0].id };
  })();
  return issuedEnterpriseSeal;
}

/** The target committee's seal, looked up as the admin. */
async function sealOf(context: Context): Promise<string> {
  const page = await context.api(`/api/seals?q=${context.committee}`, { headers: context.admin });
  return (page.body as { items: { id: string }[] }).items[0].id;
}

/** The target committee's seal, brought (as the admin) to the status the route acts on. */
async function sealIn(context: Context, status: 'active' | 'suspended'): Promise<string> {
  const id = await sealOf(context);
  const seal = (await context.api(`/api/seals/${id}`, { headers: context.admin })).body as { status: string };
  if (seal.status !== status) {
    const change = status === 'active' ? 'reinstatement' : 'suspension';
    const answer = await context.api(`/api/seals/${id}/${change}`, {
      method: 'POST',
      headers: { ...context.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: '矩阵测试准备' }),
    });
    if (answer.status !== 200) throw new Error(`setup failed: ${answer.status} ${answer.text}`);
  }
  return id;
}

/** An active seal of a committee that is neither A nor B. */
async function spareSeal(context: Context): Promise<string> {
  const page = await context.api('/api/seals?status=active&limit=200', { headers: context.admin });
  const items = (page.body as { items: { id: string; committeeCode: string }[] }).items;
  const spare = items.filter((seal) => ![COMMITTEE_A, COMMITTEE_B].includes(seal.committeeCode)).pop();
  if (!spare) throw new Error('setup failed: no spare seal');
  return spare.id;
}

async function firstMaterial(context: Context, id: string): Promise<string> {
  const view = await (await context.as('resident-a')).call('GET', `/api/applications/${id}`);
  return (view.body as ApplicationBody).materials[0].id;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

describe('authorization matrix (every route × every caller × own and other organization)', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let verifierKey: string;
  const api = (path: string, init?: RequestInit) => request(system.api.baseUrl, path, init);
  const as = async (username: string) => new ApiClient(system.api.baseUrl, await system.token(username));

  beforeAll(async () => {
    db = await createTestDatabase('matrix');
    // Every caller here comes from one address: the anonymous verification throttle is not under test.
    system = await startSystem({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, VERIFY_PUBLIC_PER_MINUTE: '10000' });
    const admin = { authorization: `Bearer ${await system.token('admin')}` };
    const institution = await newInstitution({ target: 'own', committee: COMMITTEE_A, admin, api, as });
    const key = await api(`/api/verifier-institutions/${institution}/api-keys`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ label: '矩阵', rateLimitPerMinute: 6000 }),
    });
    verifierKey = (key.body as { key: string }).key;
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    await db?.drop();
  });

  it('has exactly one entry for every route the API serves', async () => {
    const doc = (await api('/api/docs-json')).body as OpenApiDocument;
    const served = Object.entries(doc.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(served).toEqual(Object.keys(MATRIX).sort());
  });

  const cases = Object.entries(MATRIX).flatMap(([route, routeCase]) =>
    CALLERS.flatMap((caller) => (['own', 'other'] as Target[]).map((target) => ({ route, routeCase, caller, target }))),
  );

  it.each(cases.map((c) => [c.route, c.caller, c.target, c] as const))(
    '%s as %s on an object of the %s organization',
    async (route, caller, target, { routeCase }) => {
      const admin = { authorization: `Bearer ${await system.token('admin')}` };
      const committee = target === 'own' ? COMMITTEE_A : COMMITTEE_B;
      const { path, body, headers: extra } = await routeCase.request({ target, committee, admin, api, as });
      const headers: Record<string, string> = { ...extra };
      if (caller === 'verifier') headers['x-api-key'] = verifierKey;
      else if (caller !== 'anonymous') {
        const token = routeCase.freshSession ? await system.freshToken(caller) : await system.token(caller);
        headers.authorization = `Bearer ${token}`;
      }
      const multipart = body instanceof FormData;
      if (body !== undefined && !multipart) headers['content-type'] = 'application/json';
      const method = route.split(' ')[0];
      const answer = await api(path, {
        method,
        headers,
        body: body === undefined ? undefined : multipart ? body : JSON.stringify(body),
        redirect: 'manual',
      });
      const rule = routeCase.expect[caller] ?? routeCase.expect.default;
      const expected = typeof rule === 'number' ? rule : rule[target];
      expect({ route, caller, target, status: answer.status }).toEqual({ route, caller, target, status: expected });
      if (answer.status === 401 || answer.status === 403) {
        // A refusal says why and carries nothing else: no data of the object it refused.
        expect(Object.keys(answer.body as object).sort()).toEqual(expect.arrayContaining(['code', 'message']));
        expect(Object.keys(answer.body as object).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
      }
    },
  );

  it('shows each resident their own identity only', async () => {
    const a = await api('/api/me', { headers: { authorization: `Bearer ${await system.token('resident-a')}` } });
    const b = await api('/api/me', { headers: { authorization: `Bearer ${await system.token('resident-b')}` } });
    expect(a.body).toMatchObject({ name: '李*梅', idNumber: '4401**********0125', roles: [] });
    expect(b.body).toMatchObject({ name: '陈*强', idNumber: '4401**********0118', roles: [] });
  });

  it('refuses every denied call into the audit log', async () => {
    const admin = { authorization: `Bearer ${await system.token('admin')}` };
    const denied = await api('/api/audit-events?action=auth.denied&limit=500', { headers: admin });
    expect(denied.status).toBe(200);
    const items = (denied.body as { items: { details: { code: string; route: string } }[] }).items;
    expect(items.length).toBeGreaterThan(20);
    // Refusals made by the service that loaded the object are recorded like the guard's own.
    expect(items).toContainEqual(
      expect.objectContaining({
        details: expect.objectContaining({ code: 'AUTH_OUT_OF_SCOPE', route: '/api/organizations/:code/staff' }),
      }),
    );
  });
});
