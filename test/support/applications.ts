import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { request, type Answer } from './test-app';

/** Committee A (城南社区, 荔城街道) and committee B (新塘社区, 新塘镇) of the synthetic registry. */
export const COMMITTEE_A = '440118001001';
export const COMMITTEE_B = '440118100001';

export interface ApplicationBody {
  id: string;
  status: string;
  statusName: string;
  referenceNo: string;
  form: Record<string, unknown>;
  formSchema: { properties: Record<string, unknown>; examples: Record<string, unknown>[]; required?: string[] };
  materialRequirements: { key: string; name: string; accepts: string[]; required: boolean; maxFiles: number }[];
  materials: { id: string; key: string; round: number; isNew: boolean; contentUrl: string; sizeBytes: number }[];
  supplementRequest: { items: { materialKey: string; materialName: string; reason: string }[] } | null;
  changesSinceLastRound: { formFields: { field: string }[]; materials: string[] } | null;
  timeline: { action: string; status: string; actor: string; note: string | null }[];
  clock: { remainingWorkingDays: number; paused: boolean; dueDate: string | null } | null;
  allowedActions: string[];
  round: number;
}

/** A small API client for one caller, speaking as the web app or a script would. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly headers: Record<string, string> = {},
  ) {}

  call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    return request(this.baseUrl, path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...this.headers,
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  createDraft(typeCode: string, committeeCode = COMMITTEE_A, key: string = randomUUID()): Promise<Answer> {
    return this.call('POST', '/api/applications', { typeCode, committeeCode }, { 'idempotency-key': key });
  }

  upload(id: string, key: string, bytes: Buffer, fileName: string, type = 'application/octet-stream'): Promise<Answer> {
    const form = new FormData();
    form.append('key', key);
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), fileName);
    return request(this.baseUrl, `/api/applications/${id}/materials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, ...this.headers },
      body: form,
    });
  }

  action(id: string, action: string, body?: unknown): Promise<Answer> {
    return this.call('POST', `/api/applications/${id}/${action}`, body ?? {});
  }
}

/** A real PNG, photo-like (noise, so it does not compress to nothing); about 190 kB at the default size. */
export async function pngImage(width = 320, height = 200, seed = 1): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: 200, g: (seed * 40) % 255, b: 80 },
      noise: { type: 'gaussian', mean: 128, sigma: 30 },
    },
  })
    .png()
    .toBuffer();
}

/** A JPEG carrying an EXIF GPS position, as a phone camera writes it. */
export async function jpegWithLocation(): Promise<Buffer> {
  return sharp({ create: { width: 800, height: 600, channels: 3, background: '#3a6' } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'TestPhone', Model: 'Camera 1' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '23/1 17/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '113/1 49/1 0/1' },
    })
    .toBuffer();
}

/** Fills every required material of a draft with one image each. */
export async function uploadRequiredMaterials(client: ApiClient, application: ApplicationBody): Promise<void> {
  for (const requirement of application.materialRequirements.filter((r) => r.required)) {
    const answer = await client.upload(application.id, requirement.key, await pngImage(), `${requirement.key}.png`);
    if (answer.status !== 201) throw new Error(`upload ${requirement.key}: ${answer.status} ${answer.text}`);
  }
}

/** A draft of `typeCode` with the type's example form saved and its required materials uploaded. */
export async function preparedDraft(
  client: ApiClient,
  typeCode: string,
  committeeCode = COMMITTEE_A,
): Promise<ApplicationBody> {
  const created = await client.createDraft(typeCode, committeeCode);
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  const draft = created.body as ApplicationBody;
  const saved = await client.call('PUT', `/api/applications/${draft.id}`, { form: draft.formSchema.examples[0] });
  if (saved.status !== 200) throw new Error(`save: ${saved.status} ${saved.text}`);
  await uploadRequiredMaterials(client, draft);
  return saved.body as ApplicationBody;
}

/** Polls the application until it reaches `status` (the issuer runs in the background). */
export async function waitForStatus(client: ApiClient, id: string, status: string): Promise<ApplicationBody> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await client.call('GET', `/api/applications/${id}`);
    const body = answer.body as ApplicationBody;
    if (body.status === status) return body;
    if (Date.now() > deadline) throw new Error(`application ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface CertificateBody {
  id: string;
  number: string;
  status: string;
  state: string;
  revokedAt: string | null;
  revocationReason: string | null;
  typeName: string;
  committeeName: string;
  documentSha256: string;
  documentBytes: number;
  downloadUrl: string;
}

/** The whole flow: the resident applies, the approver approves, the certificate is issued and downloaded. */
export async function issuedCertificate(
  resident: ApiClient,
  approver: ApiClient,
  typeCode: string,
): Promise<{ application: ApplicationBody; certificate: CertificateBody; pdf: Buffer }> {
  const draft = await preparedDraft(resident, typeCode);
  const submitted = await resident.action(draft.id, 'submit');
  if (submitted.status !== 200) throw new Error(`submit: ${submitted.status} ${submitted.text}`);
  const approved = await approver.action(draft.id, 'approve', { comment: '材料齐全，同意出具' });
  if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${approved.text}`);
  const application = await waitForStatus(resident, draft.id, 'issued');
  const answer = await resident.call('GET', `/api/applications/${draft.id}/certificate`);
  if (answer.status !== 200) throw new Error(`certificate: ${answer.status} ${answer.text}`);
  const certificate = answer.body as CertificateBody;
  const pdf = await fetch(`${resident.baseUrl}${certificate.downloadUrl}`, {
    headers: { authorization: `Bearer ${resident.token}` },
  });
  if (pdf.status !== 200 || pdf.headers.get('content-type') !== 'application/pdf') {
    throw new Error(`download: ${pdf.status} ${pdf.headers.get('content-type')}`);
  }
  return { application, certificate, pdf: Buffer.from(await pdf.arrayBuffer()) };
}
