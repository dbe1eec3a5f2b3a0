import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { HTTP_CONFIG, type HttpConfig } from '@zhengming/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import {
  issueCertificate,
  subjectNameOf,
  type DistinguishedName,
  type ExtendedKeyUsage,
  type KeyUsage,
} from './pki/x509';
import type { Asn1 } from './cms/der';
import { CertificateAuthorityEntity, SigningKeyEntity } from './signing.entities';
import { SigningErrorCode, SigningException } from './signing.exception';
import { SigningKeysService } from './signing-keys.service';

const YEAR_MS = 365.25 * 24 * 3600 * 1000;
/** Certificates start an hour back, so a relying party whose clock runs slow still accepts them. */
const BACKDATE_MS = 3600 * 1000;

const DISTRICT: Omit<DistinguishedName, 'CN'> = {
  C: 'CN',
  ST: '广东省',
  L: '广州市',
  O: '广州市增城区电子证明服务平台',
};
export const ROOT_NAME: DistinguishedName = { ...DISTRICT, CN: '增城区电子证明根证书' };
export const ISSUING_NAME: DistinguishedName = { ...DISTRICT, CN: '增城区电子印章及签名签发证书' };

export interface IssuedEndEntity {
  der: Buffer;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  issuerId: string;
}

export interface CertificateChain {
  issuing: CertificateAuthorityEntity;
  root: CertificateAuthorityEntity;
}

/**
 * The district PKI: a root (20 years; offline in production) and an issuing CA (10 years) that
 * certifies every seal and every approver's signing key. Made once by `npm run pki:init` or the
 * embedded first start; both are idempotent under an advisory lock.
 */
@Injectable()
export class PkiService {
  private readonly logger = new Logger(PkiService.name);
  private cached: CertificateChain | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: SigningKeysService,
    @Optional() @Inject(HTTP_CONFIG) private readonly http?: HttpConfig,
  ) {}

  /**
   * Where a CA's CRL is published: a stable public URL per CA (its id), written into every certificate
   * that CA issues from now on. Undefined where no public address is configured (tools, some tests).
   */
  crlUrl(authorityId: string): string | undefined {
    return this.http ? `${this.http.publicBaseUrl.replace(/\/+$/, '')}/pki/crl/${authorityId}.crl` : undefined;
  }

  async initialize(): Promise<{ created: boolean; chain: CertificateChain }> {
    const created = await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['pki:initialize']);
      if (await this.loadChain(m)) return false;
      const now = Date.now();
      const rootKey = await this.keys.create(m, 'district-root');
      const root = await this.saveAuthority(m, 'root', ROOT_NAME, rootKey, {
        issuer: ROOT_NAME,
        issuerKey: rootKey,
        years: 20,
        // One CA (the issuing CA) may stand between the root and a seal or signing certificate.
        ca: { pathLength: 1 },
        now,
      });
      const issuingKey = await this.keys.create(m, 'district-issuing');
      await this.saveAuthority(m, 'issuing', ISSUING_NAME, issuingKey, {
        issuer: ROOT_NAME,
        issuerKey: rootKey,
        years: 10,
        ca: { pathLength: 0 },
        now,
        issuerId: root.id,
      });
      return true;
    });
    this.cached = undefined;
    const chain = await this.chain();
    if (created)
      this.logger.log({ root: chain.root.serialHex, issuing: chain.issuing.serialHex }, 'district PKI created');
    return { created, chain };
  }

  /** The active issuing CA and root; cached, since they change only by an operator's hand. */
  async chain(manager?: EntityManager): Promise<CertificateChain> {
    if (this.cached) return this.cached;
    const chain = await this.loadChain(manager ?? this.dataSource.manager);
    if (!chain) throw new SigningException(SigningErrorCode.PkiNotInitialized);
    this.cached = chain;
    return chain;
  }

  /** An end-entity certificate for document signing (digitalSignature + nonRepudiation). */
  async issueSigningCertificate(
    manager: EntityManager,
    subject: DistinguishedName | Asn1,
    key: SigningKeyEntity,
    years: number,
  ): Promise<IssuedEndEntity> {
    const { issuing } = await this.chain(manager);
    const issuingKey = await manager.findOneByOrFail(SigningKeyEntity, { id: issuing.keyId });
    return this.issue(subject, key, {
      issuer: ISSUING_NAME,
      issuerKey: issuingKey,
      years,
      keyUsage: ['digitalSignature', 'nonRepudiation'],
      issuerId: issuing.id,
      crlDistributionPoint: this.crlUrl(issuing.id),
    });
  }

  /**
   * A successor to an end-entity certificate: the same subject, byte for byte, for `key` (the same key
   * on renewal, a new one on rotation), as long again as the previous one was, from the current issuing CA.
   */
  async reissueSigningCertificate(
    manager: EntityManager,
    previous: { certificateDer: Buffer; notBefore: Date; notAfter: Date },
    key: SigningKeyEntity,
  ): Promise<IssuedEndEntity> {
    const lifetime = previous.notAfter.getTime() - previous.notBefore.getTime() - BACKDATE_MS;
    const years = Math.max(1, Math.round(lifetime / YEAR_MS));
    return this.issueSigningCertificate(manager, subjectNameOf(previous.certificateDer), key, years);
  }

  private async saveAuthority(
    m: EntityManager,
    kind: 'root' | 'issuing',
    subject: DistinguishedName,
    key: SigningKeyEntity,
    options: {
      issuer: DistinguishedName;
      issuerKey: SigningKeyEntity;
      years: number;
      ca: { pathLength: number };
      now: number;
      issuerId?: string;
    },
  ): Promise<CertificateAuthorityEntity> {
    const issued = await this.issue(subject, key, { ...options, keyUsage: ['keyCertSign', 'cRLSign'] });
    const row = m.create(CertificateAuthorityEntity, {
      kind,
      subject: subject.CN,
      keyId: key.id,
      certificateDer: issued.der,
      serialHex: issued.serialHex,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      active: true,
    });
    await m.insert(CertificateAuthorityEntity, row);
    return row;
  }

  /**
   * A certificate for a time-stamping unit's key (RFC 3161 §2.3: extendedKeyUsage timeStamping only,
   * critical), so that its tokens chain to the district root. The TSA keeps its own key; we certify its
   * public key, as for any key we do not hold.
   */
  async certifyTimestampingUnit(subjectPublicKeySpki: Buffer, name: string, years = 5): Promise<IssuedEndEntity> {
    const { issuing } = await this.chain();
    const issuingKey = await this.dataSource.manager.findOneByOrFail(SigningKeyEntity, { id: issuing.keyId });
    return this.issue(
      { ...DISTRICT, CN: name },
      { publicKeySpki: subjectPublicKeySpki },
      {
        issuer: ISSUING_NAME,
        issuerKey: issuingKey,
        years,
        keyUsage: ['digitalSignature', 'nonRepudiation'],
        extendedKeyUsage: ['timeStamping'],
        issuerId: issuing.id,
        crlDistributionPoint: this.crlUrl(issuing.id),
      },
    );
  }

  private async issue(
    subject: DistinguishedName | Asn1,
    key: Pick<SigningKeyEntity, 'publicKeySpki'>,
    options: {
      issuer: DistinguishedName;
      issuerKey: SigningKeyEntity;
      years: number;
      keyUsage: KeyUsage[];
      extendedKeyUsage?: ExtendedKeyUsage[];
      ca?: { pathLength: number };
      now?: number;
      issuerId?: string;
      crlDistributionPoint?: string;
    },
  ): Promise<IssuedEndEntity> {
    const now = options.now ?? Date.now();
    const notBefore = new Date(Math.floor((now - BACKDATE_MS) / 1000) * 1000);
    const notAfter = new Date(Math.floor((now + options.years * YEAR_MS) / 1000) * 1000);
    const issued = await issueCertificate(
      {
        subject,
        issuer: options.issuer,
        subjectPublicKeySpki: key.publicKeySpki,
        issuerPublicKeySpki: options.issuerKey.publicKeySpki,
        notBefore,
        notAfter,
        ca: options.ca,
        keyUsage: options.keyUsage,
        extendedKeyUsage: options.extendedKeyUsage,
        crlDistributionPoint: options.crlDistributionPoint,
      },
      this.keys.signer(options.issuerKey),
    );
    return { ...issued, notBefore, notAfter, issuerId: options.issuerId ?? '' };
  }

  private async loadChain(m: EntityManager): Promise<CertificateChain | undefined> {
    const rows = await m.find(CertificateAuthorityEntity, { where: { active: true } });
    const root = rows.find((row) => row.kind === 'root');
    const issuing = rows.find((row) => row.kind === 'issuing');
    return root && issuing ? { root, issuing } : undefined;
  }
}
