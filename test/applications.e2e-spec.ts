import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import sharp from 'sharp';
import { PDFDocument } from 'pdf-lib';
import {
  ApiClient,
  COMMITTEE_A,
  COMMITTEE_B,
  jpegWithLocation,
  pngImage,
  preparedDraft,
  type ApplicationBody,
} from './support/applications';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './support/test-database';
import { startSystem, type RunningSystem } from './support/test-system';

const TYPES = [
  'business-premises-use',
  'ev-charger-installation',
  'guardianship',
  'weather',
  'entertainment-venue-deregistration',
];
const MAX_BYTES = 400 * 1024;

/**
 * The application workflow through the API against a real PostgreSQL: every certificate type from
 * draft to 出证中 with a supplement round, idempotent creation, races between reviewers, and bad
 * input that must be refused without changing anything.
 */
jest.setTimeout(60_000);

describe('application workflow (API, PostgreSQL)', () => {
  let db: TestDatabase;
  let system: RunningSystem;
  let files: string;
  let sql: Client;
  let resident: ApiClient;
  let clerk: ApiClient;
  let approver: ApiClient;
  let clerkB: ApiClient;
  let approverB: ApiClient;

  beforeAll(async () => {
    db = await createTestDatabase('applications');
    files = await mkdtemp(join(tmpdir(), 'zm-files-'));
    system = await startSystem({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      STORAGE_LOCAL_DIR: files,
      MATERIAL_MAX_BYTES: String(MAX_BYTES),
    });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    const as = async (user: string) => new ApiClient(system.api.baseUrl, await system.token(user));
    [resident, clerk, approver, clerkB, approverB] = await Promise.all(
      ['resident-a', 'clerk-a', 'approver-a', 'clerk-b', 'approver-b'].map(as),
    );
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await system?.stop();
    await db?.drop();
    if (files) await rm(files, { recursive: true, force: true });
  });

  async function count(query: string, params: unknown[] = []): Promise<number> {
    const { rows } = await sql.query<{ n: string }>(query, params);
    return Number(rows[0].n);
  }

  describe.each(TYPES)('%s', (typeCode) => {
    it('goes from draft through a supplement round to 出证中, with the clock paused in between', async () => {
      const draft = await preparedDraft(resident, typeCode);
      expect(draft.status).toBe('draft');
      // Personal data is prefilled from the identity platform and shown masked, even to its owner.
      expect(draft.form.idNumber).toMatch(/^\d{4}\*{10}[\dX]{4}$/);

      const submitted = await resident.action(draft.id, 'submit');
      expect(submitted.status).toBe(200);
      expect((submitted.body as ApplicationBody).clock).toMatchObject({ paused: false });

      const queue = await clerk.call('GET', '/api/applications?queue=true&limit=100');
      expect((queue.body as { items: { id: string }[] }).items.map((i) => i.id)).toContain(draft.id);

      const requirement = draft.materialRequirements.find((r) => r.required)!;
      const asked = await clerk.call('POST', `/api/applications/${draft.id}/supplement-requests`, {
        items: [{ materialKey: requirement.key, reason: '照片模糊，请重新拍摄' }],
        note: '请尽快补齐',
      });
      expect(asked.status).toBe(200);
      const waiting = asked.body as ApplicationBody;
      expect(waiting.status).toBe('supplement_requested');
      expect(waiting.clock).toMatchObject({ paused: true, dueDate: null });

      // The resident sees exactly what is asked, and cannot resubmit without answering it.
      const seen = (await resident.call('GET', `/api/applications/${draft.id}`)).body as ApplicationBody;
      expect(seen.supplementRequest?.items).toEqual([
        { materialKey: requirement.key, materialName: requirement.name, reason: '照片模糊，请重新拍摄' },
      ]);
      const early = await resident.action(draft.id, 'resubmit');
      expect(early.status).toBe(422);
      expect(early.body).toMatchObject({ code: 'APPLICATION_SUPPLEMENT_UNANSWERED' });

      const fresh = await resident.upload(draft.id, requirement.key, await pngImage(300, 200, 7), '重拍.png');
      expect(fresh.status).toBe(201);
      const resubmitted = await resident.action(draft.id, 'resubmit');
      expect(resubmitted.status).toBe(200);
      expect((resubmitted.body as ApplicationBody).status).toBe('in_review');

      const review = (await clerk.call('GET', `/api/applications/${draft.id}`)).body as ApplicationBody;
      expect(review.changesSinceLastRound?.materials).toEqual([(fresh.body as { id: string }).id]);
      expect(review.materials.find((m) => m.isNew)?.id).toBe((fresh.body as { id: string }).id);
      expect(review.allowedActions).toEqual(expect.arrayContaining(['request_supplement', 'reject']));
      expect(review.allowedActions).not.toContain('approve');

      const approved = await approver.action(draft.id, 'approve', { comment: '同意' });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ status: 'approved', statusName: '出证中' });
      expect((approved.body as ApplicationBody).timeline.map((t) => t.action)).toEqual([
        'create',
        'submit',
        'accept',
        'request_supplement',
        'resubmit',
        'approve',
      ]);
      // The signing step will consume this row; until then it waits.
      const { rows } = await sql.query(
        `SELECT status FROM outbox WHERE topic = 'certificate.issue' AND aggregate_id = $1`,
        [draft.id],
      );
      expect(rows).toEqual([{ status: 'pending' }]);
      // Every state change reached the resident; the reviewer's acceptance and request came at once.
      const mine = await resident.call('GET', '/api/notifications');
      const titles = (mine.body as { items: { title: string; applicationId: string }[] }).items
        .filter((n) => n.applicationId === draft.id)
        .map((n) => n.title);
      expect(titles.sort()).toEqual(['申请已受理', '申请已提交', '申请已通过', '材料已重新提交', '请补齐材料'].sort());
    });
  });

  it('creates one application for a repeated Idempotency-Key, and refuses the key for another request', async () => {
    const before = await count('SELECT count(*) AS n FROM applications');
    const key = 'retry-key-0001';
    const [first, second] = await Promise.all([
      resident.createDraft('weather', COMMITTEE_A, key),
      resident.createDraft('weather', COMMITTEE_A, key),
    ]);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect((first.body as ApplicationBody).id).toBe((second.body as ApplicationBody).id);
    expect(await count('SELECT count(*) AS n FROM applications')).toBe(before + 1);

    const other = await resident.createDraft('guardianship', COMMITTEE_A, key);
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: expect.stringContaining('Idempotency-Key'),
    });
    const missing = await resident.call('POST', '/api/applications', {
      typeCode: 'weather',
      committeeCode: COMMITTEE_A,
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED' });
    expect(await count('SELECT count(*) AS n FROM applications')).toBe(before + 1);
  });

  it('lets exactly one of 50 simultaneous approvals through and writes one outbox row', async () => {
    const draft = await preparedDraft(resident, 'weather');
    expect((await resident.action(draft.id, 'submit')).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 50 }, () => approver.action(draft.id, 'approve')));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    expect(answers.find((a) => a.status === 409)?.body).toMatchObject({
      code: 'APPLICATION_ALREADY_HANDLED',
      message: expect.stringContaining('已被处理'),
    });
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1`, [draft.id])).toBe(1);
    expect(
      await count(`SELECT count(*) AS n FROM application_events WHERE application_id = $1 AND action = 'approve'`, [
        draft.id,
      ]),
    ).toBe(1);
  });

  it('two reviewers deciding at once: one result, and the other hears it was already handled', async () => {
    const draft = await preparedDraft(resident, 'weather');
    await resident.action(draft.id, 'submit');
    const [rejected, asked] = await Promise.all([
      clerk.action(draft.id, 'reject', { reason: '不属于本社区证明范围' }),
      approver.call('POST', `/api/applications/${draft.id}/supplement-requests`, {
        items: [{ materialKey: 'applicant-id-card', reason: '请补充背面' }],
      }),
    ]);
    expect([rejected.status, asked.status].sort()).toEqual([200, 409]);
    expect([rejected, asked].find((a) => a.status === 409)?.body).toMatchObject({
      code: 'APPLICATION_ALREADY_HANDLED',
    });
  });

  it('a withdrawn application leaves the queue; an approved one can no longer be withdrawn', async () => {
    const draft = await preparedDraft(resident, 'weather');
    await resident.action(draft.id, 'submit');
    const withdrawn = await resident.action(draft.id, 'withdraw');
    expect(withdrawn.body).toMatchObject({ status: 'withdrawn', statusName: '已撤回', clock: null });
    const queue = (await clerk.call('GET', '/api/applications?queue=true&limit=100')).body as {
      items: { id: string }[];
    };
    expect(queue.items.map((i) => i.id)).not.toContain(draft.id);

    const other = await preparedDraft(resident, 'weather');
    await resident.action(other.id, 'submit');
    await approver.action(other.id, 'approve');
    const late = await resident.action(other.id, 'withdraw');
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'APPLICATION_STATE_CONFLICT', details: { status: 'approved' } });
  });

  it('the queue holds only the own committee, oldest submission first, with the time left', async () => {
    for (const committee of [COMMITTEE_A, COMMITTEE_A]) {
      await resident.action((await preparedDraft(resident, 'guardianship', committee)).id, 'submit');
    }
    const inB = await preparedDraft(resident, 'weather', COMMITTEE_B);
    await resident.action(inB.id, 'submit');
    const queueA = (await clerk.call('GET', '/api/applications?queue=true&limit=100')).body as {
      items: {
        id: string;
        committee: { code: string };
        submittedAt: string;
        clock: { remainingWorkingDays: number };
      }[];
    };
    expect(queueA.items.length).toBeGreaterThanOrEqual(2);
    expect(queueA.items.every((i) => i.committee.code === COMMITTEE_A)).toBe(true);
    expect(queueA.items.map((i) => i.id)).not.toContain(inB.id);
    const times = queueA.items.map((i) => Date.parse(i.submittedAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(queueA.items[0].clock.remainingWorkingDays).toEqual(expect.any(Number));
    const queueB = (await clerkB.call('GET', '/api/applications?queue=true')).body as { items: { id: string }[] };
    expect(queueB.items.map((i) => i.id)).toContain(inB.id);
    // A committee learns of each submission in its messages.
    const messages = (await clerkB.call('GET', '/api/notifications')).body as { items: { title: string }[] };
    expect(messages.items.map((m) => m.title)).toContain('新的证明申请');
  });

  it('strips the location from a phone photo before storing it', async () => {
    const draft = (await resident.createDraft('weather')).body as ApplicationBody;
    const uploaded = await resident.upload(
      draft.id,
      'applicant-id-card',
      await jpegWithLocation(),
      'IMG_0001.JPG',
      'image/jpeg',
    );
    expect(uploaded.status).toBe(201);
    const stored = await fetch(`${system.api.baseUrl}${(uploaded.body as { contentUrl: string }).contentUrl}`, {
      headers: { authorization: `Bearer ${resident.token}` },
    });
    expect(stored.headers.get('content-type')).toBe('image/jpeg');
    const metadata = await sharp(Buffer.from(await stored.arrayBuffer())).metadata();
    expect(metadata.format).toBe('jpeg');
    expect(metadata.exif).toBeUndefined();
  });

  describe('bad input gets a coded 4xx and changes nothing', () => {
    let draft: ApplicationBody;
    let filledIn: ApplicationBody;
    let submitted: ApplicationBody;

    beforeAll(async () => {
      draft = (await resident.createDraft('weather')).body as ApplicationBody;
      filledIn = (await resident.createDraft('weather')).body as ApplicationBody;
      await resident.call('PUT', `/api/applications/${filledIn.id}`, { form: filledIn.formSchema.examples[0] });
      submitted = await preparedDraft(resident, 'weather');
      await resident.action(submitted.id, 'submit');
    });

    /**
     * Every table the workflow writes, and the stored files: compared before and after. The audit
     * log records refusals on purpose, so only its successful entries must stay the same.
     */
    async function snapshot(): Promise<string> {
      const tables = [
        'applications',
        'application_materials',
        'application_events',
        'application_rounds',
        'supplement_requests',
        'idempotency_keys',
        'notifications',
        'outbox',
      ];
      // One after another: one pg Client runs one query at a time (queueing them is deprecated in pg 9).
      const counts: Awaited<ReturnType<typeof count>>[] = [];
      for (const query of [
        ...tables.map((t) => `SELECT count(*) AS n FROM ${t}`),
        `SELECT count(*) AS n FROM audit_events WHERE outcome = 'success'`,
      ]) {
        counts.push(await count(query));
      }
      const { rows } = await sql.query(
        `SELECT md5(string_agg(id::text || status || form_enc || round, ',' ORDER BY id)) AS h FROM applications`,
      );
      const stored = await readdir(files, { recursive: true });
      return JSON.stringify({ counts, h: rows[0].h, files: stored.sort() });
    }

    const pdf = async () => Buffer.from(await (await PDFDocument.create()).save());
    const cases: [string, () => Promise<{ status: number; body: unknown }>, number, string][] = [
      [
        'a .pdf that is really an executable',
        async () =>
          resident.upload(
            draft.id,
            'applicant-id-card',
            Buffer.concat([Buffer.from('MZ\x90\x00\x03'), Buffer.alloc(2048, 7)]),
            'scan.pdf',
            'application/pdf',
          ),
        415,
        'MATERIAL_TYPE_UNSUPPORTED',
      ],
      [
        'a PDF with a ZIP archive appended (polyglot)',
        async () =>
          resident.upload(
            draft.id,
            'applicant-id-card',
            Buffer.concat([await pdf(), Buffer.from('PK\x03\x04'), Buffer.alloc(600, 1)]),
            'scan.pdf',
          ),
        422,
        'MATERIAL_POLYGLOT',
      ],
      [
        'a GIF',
        async () =>
          resident.upload(
            draft.id,
            'applicant-id-card',
            await sharp({ create: { width: 20, height: 20, channels: 3, background: '#fff' } })
              .gif()
              .toBuffer(),
            'a.gif',
          ),
        415,
        'MATERIAL_TYPE_UNSUPPORTED',
      ],
      [
        'an oversized file',
        async () => resident.upload(draft.id, 'applicant-id-card', Buffer.alloc(MAX_BYTES + 1024, 0xff), 'big.jpg'),
        413,
        'MATERIAL_TOO_LARGE',
      ],
      [
        'a material the type does not ask for',
        async () => resident.upload(draft.id, 'business-licence', await pngImage(), 'x.png'),
        422,
        'APPLICATION_MATERIAL_KEY_UNKNOWN',
      ],
      [
        'an upload that is not multipart',
        async () => resident.call('POST', `/api/applications/${draft.id}/materials`, { key: 'applicant-id-card' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'form data that fails the schema',
        async () =>
          resident.call('PUT', `/api/applications/${draft.id}`, { form: { phone: '12345', eventDate: 'yesterday' } }),
        422,
        'APPLICATION_FORM_INVALID',
      ],
      [
        'an ID number with a wrong check character',
        async () => resident.call('PUT', `/api/applications/${draft.id}`, { form: { idNumber: '440118198503120120' } }),
        422,
        'APPLICATION_FORM_INVALID',
      ],
      [
        'a field the form does not have',
        async () => resident.call('PUT', `/api/applications/${draft.id}`, { form: { salary: 1 } }),
        422,
        'APPLICATION_FORM_INVALID',
      ],
      [
        'a committee outside the district',
        async () => resident.createDraft('weather', '110101001001'),
        422,
        'APPLICATION_COMMITTEE_INVALID',
      ],
      [
        'a town instead of a committee',
        async () => resident.createDraft('weather', '440118001000'),
        422,
        'APPLICATION_COMMITTEE_INVALID',
      ],
      ['an unknown certificate type', async () => resident.createDraft('marriage'), 404, 'CERTIFICATE_TYPE_NOT_FOUND'],
      [
        'a missing Idempotency-Key',
        async () => resident.call('POST', '/api/applications', { typeCode: 'weather', committeeCode: COMMITTEE_A }),
        400,
        'IDEMPOTENCY_KEY_REQUIRED',
      ],
      [
        'a malformed Idempotency-Key',
        async () => resident.createDraft('weather', COMMITTEE_A, 'x y'),
        400,
        'IDEMPOTENCY_KEY_INVALID',
      ],
      [
        'submitting a draft with materials missing',
        async () => resident.action(filledIn.id, 'submit'),
        422,
        'APPLICATION_MATERIALS_MISSING',
      ],
      [
        'submitting twice (wrong state)',
        async () => resident.action(submitted.id, 'submit'),
        409,
        'APPLICATION_STATE_CONFLICT',
      ],
      [
        'resubmitting what was never sent back',
        async () => resident.action(submitted.id, 'resubmit'),
        409,
        'APPLICATION_STATE_CONFLICT',
      ],
      [
        'uploading to a submitted application',
        async () => resident.upload(submitted.id, 'applicant-id-card', await pngImage(), 'x.png'),
        409,
        'APPLICATION_STATE_CONFLICT',
      ],
      [
        "another committee's clerk requesting a supplement",
        async () =>
          clerkB.call('POST', `/api/applications/${submitted.id}/supplement-requests`, {
            items: [{ materialKey: 'applicant-id-card', reason: '看不清楚' }],
          }),
        403,
        'AUTH_OUT_OF_SCOPE',
      ],
      [
        "another committee's approver approving",
        async () => approverB.action(submitted.id, 'approve'),
        403,
        'AUTH_OUT_OF_SCOPE',
      ],
      ['a clerk approving', async () => clerk.action(submitted.id, 'approve'), 403, 'AUTH_FORBIDDEN'],
      ['a resident approving', async () => resident.action(submitted.id, 'approve'), 403, 'AUTH_FORBIDDEN'],
      [
        "another committee's clerk reading it",
        async () => clerkB.call('GET', `/api/applications/${submitted.id}`),
        403,
        'AUTH_OUT_OF_SCOPE',
      ],
      [
        'a supplement request naming an unknown material',
        async () =>
          clerk.call('POST', `/api/applications/${submitted.id}/supplement-requests`, {
            items: [{ materialKey: 'nope', reason: '看不清楚' }],
          }),
        422,
        'APPLICATION_SUPPLEMENT_INVALID',
      ],
      [
        'a supplement request without items',
        async () => clerk.call('POST', `/api/applications/${submitted.id}/supplement-requests`, { items: [] }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a rejection without a reason',
        async () => clerk.action(submitted.id, 'reject', { reason: ' ' }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'an application id that does not exist',
        async () => resident.action('00000000-0000-4000-8000-000000000000', 'submit'),
        404,
        'APPLICATION_NOT_FOUND',
      ],
    ];

    it.each(cases)('%s', async (_name, act, status, code) => {
      const before = await snapshot();
      const answer = await act();
      expect({ status: answer.status, code: (answer.body as { code?: string }).code }).toEqual({ status, code });
      expect((answer.body as { message?: string }).message).toMatch(/[\u4e00-\u9fa5]/);
      expect(await snapshot()).toBe(before);
    });

    it('too many files for one material', async () => {
      const fresh = (await resident.createDraft('weather')).body as ApplicationBody;
      const max = fresh.materialRequirements.find((r) => r.key === 'applicant-id-card')!.maxFiles;
      for (let i = 0; i < max; i++) {
        expect((await resident.upload(fresh.id, 'applicant-id-card', await pngImage(), `id${i}.png`)).status).toBe(201);
      }
      const before = await snapshot();
      const answer = await resident.upload(fresh.id, 'applicant-id-card', await pngImage(), 'one-more.png');
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ code: 'APPLICATION_MATERIALS_TOO_MANY' });
      expect(await snapshot()).toBe(before);
    });

    it("a resident cannot see or touch someone else's application", async () => {
      const other = new ApiClient(system.api.baseUrl, await system.token('resident-b'));
      const before = await snapshot();
      for (const answer of [
        await other.call('GET', `/api/applications/${draft.id}`),
        await other.action(draft.id, 'withdraw'),
        await other.call('PUT', `/api/applications/${draft.id}`, { form: {} }),
      ]) {
        expect(answer.status).toBe(404);
        expect(answer.body).toMatchObject({ code: 'APPLICATION_NOT_FOUND' });
      }
      expect(await snapshot()).toBe(before);
    });
  });
});
