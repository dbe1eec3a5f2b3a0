import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PDFDocument } from 'pdf-lib';
import { SIGNING_CONFIG, type SigningConfig } from '@zhengming/config';
import { renderSealImage, SEAL_DIAMETER } from '@zhengming/certificates';
import { PeopleService, type MaskedPerson } from '@zhengming/identity';
import {
  contentsSizeFor,
  loadReadablePdf,
  PdfCheckError,
  PkiService,
  SealsService,
  signPdfIncrementally,
  assertSealUsable,
  TimestampError,
  TimestampService,
} from '@zhengming/signing';
import { ENTERPRISE_SEAL_KIND_NAMES, EnterpriseSealUseEntity } from './enterprise.entities';
import { EnterpriseErrorCode, EnterpriseException } from './enterprise.exception';
import {
  EnterpriseSealsService,
  type EnterpriseActor,
  type EnterpriseSealRecord,
  type EnterpriseSystem,
} from './enterprise-seals.service';

export interface SealPlacement {
  /** 1-based page number. */
  page: number;
  /** The seal's centre, in points from the page's bottom left. */
  x: number;
  y: number;
}

/** Who asks for a use: a signed-in person, or the enterprise's own system by its API key. */
export type SealUser = { kind: 'person'; personId: string } | ({ kind: 'system' } & EnterpriseSystem);

export interface SealUseResult {
  useId: string;
  pdf: Buffer;
  documentSha256: string;
  signedSha256: string;
}

export interface SealUseView {
  id: string;
  usedAt: Date;
  /** The person, masked; null when the enterprise's system used it. */
  person: MaskedPerson | null;
  apiKeyId: string | null;
  documentSha256: string;
  signedSha256: string;
  page: number;
  x: number;
  y: number;
  certificateSerial: string;
}

/** A logged use that produced a given document: what the PDF check reports of an enterprise-sealed file. */
export interface SealedDocument {
  useId: string;
  sealId: string;
  sealCode: string;
  enterpriseName: string;
  creditCode: string;
  kindName: string;
  usedAt: Date;
  page: number;
  /** The SHA-256 of the PDF the use gave back. */
  signedSha256: string;
}

/** Seal images drawn so far (a few kilobytes each): drawing one subsets a font, which costs milliseconds. */
const IMAGE_CACHE_LIMIT = 500;

/**
 * The seal-use service (用章服务): an authorised user (or the enterprise's system) gives a PDF and where
 * the seal goes; the PDF comes back signed with the seal (PAdES B-B, the seal image as the visible
 * signature) in an incremental update, and the use is logged. Every refusal happens before anything
 * is signed or logged.
 */
@Injectable()
export class SealUseService {
  private readonly images = new Map<string, Promise<Uint8Array>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly enterpriseSeals: EnterpriseSealsService,
    private readonly seals: SealsService,
    private readonly pki: PkiService,
    private readonly people: PeopleService,
    private readonly timestamps: TimestampService,
    @Inject(SIGNING_CONFIG) private readonly config: SigningConfig,
  ) {}

  get maxBytes(): number {
    return this.config.sealUseMaxBytes;
  }

  /** Refuses a caller who may not use the seal (before their upload is read). */
  async authorize(sealId: string, user: SealUser): Promise<void> {
    await this.assertMayUse(await this.enterpriseSeals.record(sealId), user);
  }

  async use(sealId: string, user: SealUser, file: Buffer, placement: SealPlacement): Promise<SealUseResult> {
    const record = await this.enterpriseSeals.record(sealId);
    await this.assertMayUse(record, user);
    const now = new Date();
    // The seal lifecycle's rule (SEAL_SUSPENDED, SEAL_REVOKED, SEAL_CERTIFICATE_NOT_CURRENT), before
    // the upload is even read; sealForSigning applies it again to the row it signs with.
    assertSealUsable(record.seal, now);
    const doc = await readPdf(file);
    const rect = placeOnPage(doc, placement);
    const { seal, signer } = await this.seals.sealForSigning(sealId, now);
    const chain = await this.pki.chain();
    const certificates = [seal.certificateDer, chain.issuing.certificateDer];
    const kindName = ENTERPRISE_SEAL_KIND_NAMES[record.link.kind];
    let signed: Buffer;
    try {
      // PAdES B-T, as for certificates: the TSA's token over the signature value, unsigned attribute.
      // Without a token nothing is signed: the caller is told to come back, nothing is logged.
      const tokenBytes = await this.timestamps.tokenReserve();
      signed = await signPdfIncrementally(
        file,
        doc,
        { pageIndex: placement.page - 1, rect, appearance: await this.image(record) },
        {
          signedAt: now,
          reason: `${record.enterprise.name}${kindName}`,
          location: '广东省广州市增城区',
          signerName: `${record.enterprise.name}${kindName}`,
          contentsSize: contentsSizeFor(certificates, signer.algorithm, tokenBytes),
        },
        {
          signer,
          certificate: seal.certificateDer,
          chain: certificates.slice(1),
          timestamper: this.timestamps.timestamper,
        },
      );
    } catch (error) {
      if (error instanceof TimestampError) {
        throw new EnterpriseException(EnterpriseErrorCode.UseTimestampUnavailable, { tsa: error.code });
      }
      throw error;
    }
    const use = this.dataSource.manager.create(EnterpriseSealUseEntity, {
      sealId,
      personId: user.kind === 'person' ? user.personId : null,
      apiKeyId: user.kind === 'system' ? user.keyId : null,
      documentSha256: sha256(file),
      signedSha256: sha256(signed),
      page: placement.page,
      x: placement.x,
      y: placement.y,
      certificateSerial: seal.serialHex,
      usedAt: now,
    });
    await this.dataSource.manager.insert(EnterpriseSealUseEntity, use);
    return { useId: use.id, pdf: signed, documentSha256: use.documentSha256, signedSha256: use.signedSha256 };
  }

  /** The use log, newest first: for the enterprise's legal representative and the district admin. */
  async uses(
    sealId: string,
    actor: EnterpriseActor,
    page: { offset: number; limit: number },
  ): Promise<{ total: number; items: SealUseView[] }> {
    await this.enterpriseSeals.managed(sealId, actor, undefined, { adminMayRead: true });
    const [rows, total] = await this.dataSource.getRepository(EnterpriseSealUseEntity).findAndCount({
      where: { sealId },
      relations: { person: true },
      order: { usedAt: 'DESC' },
      skip: page.offset,
      take: page.limit,
    });
    return {
      total,
      items: rows.map((row) => ({
        id: row.id,
        usedAt: row.usedAt,
        person: row.person ? this.people.masked(row.person) : null,
        apiKeyId: row.apiKeyId,
        documentSha256: row.documentSha256,
        signedSha256: row.signedSha256,
        page: row.page,
        x: row.x,
        y: row.y,
        certificateSerial: row.certificateSerial,
      })),
    };
  }

  /** The latest use whose signed result has one of these SHA-256s (hex), or null. */
  async findByDocument(sha256s: string[]): Promise<SealedDocument | null> {
    const [row] = (await this.dataSource.query(
      `SELECT u.id, u.seal_id, s.code, e.name, e.credit_code, es.kind, u.used_at, u.page, u.signed_sha256
         FROM enterprise_seal_uses u
         JOIN seals s ON s.id = u.seal_id
         JOIN enterprise_seals es ON es.seal_id = u.seal_id
         JOIN enterprises e ON e.id = es.enterprise_id
        WHERE u.signed_sha256 = ANY($1)
        ORDER BY u.used_at DESC
        LIMIT 1`,
      [sha256s],
    )) as {
      id: string;
      seal_id: string;
      code: string;
      name: string;
      credit_code: string;
      kind: keyof typeof ENTERPRISE_SEAL_KIND_NAMES;
      used_at: Date;
      page: number;
      signed_sha256: string;
    }[];
    if (!row) return null;
    return {
      useId: row.id,
      sealId: row.seal_id,
      sealCode: row.code,
      enterpriseName: row.name,
      creditCode: row.credit_code,
      kindName: ENTERPRISE_SEAL_KIND_NAMES[row.kind],
      usedAt: row.used_at,
      page: row.page,
      signedSha256: row.signed_sha256,
    };
  }

  /** The seal image, drawn once per seal and process. */
  image(record: EnterpriseSealRecord): Promise<Uint8Array> {
    let image = this.images.get(record.seal.id);
    if (!image) {
      if (this.images.size >= IMAGE_CACHE_LIMIT) this.images.delete(this.images.keys().next().value as string);
      image = renderSealImage({
        title: record.enterprise.name,
        code: record.seal.code,
        label: ENTERPRISE_SEAL_KIND_NAMES[record.link.kind],
      });
      this.images.set(record.seal.id, image);
      image.catch(() => this.images.delete(record.seal.id));
    }
    return image;
  }

  private async assertMayUse(record: EnterpriseSealRecord, user: SealUser): Promise<void> {
    const allowed =
      user.kind === 'system'
        ? user.enterpriseId === record.enterprise.id
        : await this.enterpriseSeals.isUser(record.seal.id, user.personId);
    if (!allowed) throw new EnterpriseException(EnterpriseErrorCode.UseNotAuthorized);
  }
}

async function readPdf(file: Buffer): Promise<PDFDocument> {
  try {
    return await loadReadablePdf(file);
  } catch (error) {
    if (!(error instanceof PdfCheckError)) throw error;
    const code =
      error.code === 'not_pdf'
        ? EnterpriseErrorCode.UseNotPdf
        : error.code === 'encrypted'
          ? EnterpriseErrorCode.UsePdfEncrypted
          : EnterpriseErrorCode.UsePdfMalformed;
    throw new EnterpriseException(code);
  }
}

/**
 * The seal's square on the page, in the page's own coordinates, refused unless the page exists and the
 * whole seal lies on its crop box. `x` and `y` are where the seal's centre goes on the page as shown,
 * from its bottom left: a page with /Rotate is shown turned clockwise, so they are turned back here.
 */
export function placeOnPage(doc: PDFDocument, placement: SealPlacement) {
  const count = doc.getPageCount();
  if (!Number.isInteger(placement.page) || placement.page < 1 || placement.page > count) {
    throw new EnterpriseException(EnterpriseErrorCode.UsePageOutOfRange, { page: placement.page, pages: count });
  }
  const page = doc.getPage(placement.page - 1);
  const box = page.getCropBox();
  const turn = ((page.getRotation().angle % 360) + 360) % 360;
  const shown = turn === 90 || turn === 270 ? { width: box.height, height: box.width } : box;
  const half = SEAL_DIAMETER / 2;
  const { x: u, y: v } = placement;
  if (u - half < 0 || v - half < 0 || u + half > shown.width || v + half > shown.height) {
    throw new EnterpriseException(EnterpriseErrorCode.UsePositionOffPage, {
      page: { width: shown.width, height: shown.height },
      sealDiameter: SEAL_DIAMETER,
    });
  }
  const centre =
    turn === 90
      ? { x: box.x + box.width - v, y: box.y + u }
      : turn === 180
        ? { x: box.x + box.width - u, y: box.y + box.height - v }
        : turn === 270
          ? { x: box.x + v, y: box.y + box.height - u }
          : { x: box.x + u, y: box.y + v };
  return { x: centre.x - half, y: centre.y - half, width: SEAL_DIAMETER, height: SEAL_DIAMETER };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
