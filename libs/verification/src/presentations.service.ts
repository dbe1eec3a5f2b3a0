import { createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { HTTP_CONFIG, VERIFICATION_CONFIG, type HttpConfig, type VerificationConfig } from '@zhengming/config';
import { CertificateErrorCode, CertificateException } from '@zhengming/certificates';
import type { PersonPrincipal } from '@zhengming/identity';
import {
  parseDer,
  PkiService,
  SealCertificateEntity,
  SealEntity,
  SigningKeysService,
  type CertificateAuthorityEntity,
} from '@zhengming/signing';
import { PresentationKeyEntity } from './verification.entities';
import { VerificationService } from './verification.service';

const DAY_MS = 24 * 3600 * 1000;
/** A presentation key signs for this long… */
const SIGNING_WINDOW_MS = 30 * DAY_MS;
/** …and its successor is published this long before it takes over, so cached trust lists already hold it. */
const ROLLOVER_LEAD_MS = 7 * DAY_MS;
/** How long an offline verifier may rely on a cached trust list before it should fetch a new one. */
const TRUST_LIST_REFRESH_MS = DAY_MS;
const KEY_CACHE_MS = 60_000;

export const PRESENTATION_TOKEN_TYPE = 'zm-presentation+jwt';

/** The claims of a presentation token: what an offline verifier shows, nothing more. */
export interface PresentationClaims {
  iss: string;
  /** The certificate number, printed form. */
  sub: string;
  typ: string;
  tn: string;
  cm: string;
  hn: string;
  hid: string;
  dh: string;
  st: 'valid' | 'expired' | 'revoked';
  iat: number;
  exp: number;
}

export interface PublishedKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
  /** Epoch seconds: the key signs tokens issued in [nbf, exp). */
  nbf: number;
  exp: number;
}

export interface TrustList {
  issuer: string;
  issuedAt: Date;
  nextUpdate: Date;
  keys: PublishedKey[];
  certificates: {
    role: 'root' | 'issuing';
    subject: string;
    serialHex: string;
    notBefore: Date;
    notAfter: Date;
    sha256: string;
    pem: string;
  }[];
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** JWS wants ECDSA as r‖s, 32 octets each; key stores return the DER `ECDSA-Sig-Value` CMS uses. */
export function ecdsaDerToJose(der: Buffer): Buffer {
  const [r, s] = (parseDer(der).value as { value: string }[]).map((node) => Buffer.from(node.value, 'latin1'));
  const fixed = (n: Buffer) => {
    const trimmed = n.subarray(Math.max(0, n.length - 32));
    return Buffer.concat([Buffer.alloc(32 - trimmed.length), trimmed]);
  };
  return Buffer.concat([fixed(r), fixed(s)]);
}

/**
 * The presentation QR a resident shows on their phone: a compact JWS (ES256) with the certificate's
 * verification facts and an expiry of minutes, checked by the verify page in the browser against the
 * cached trust list, with no network. Keys roll over every SIGNING_WINDOW_MS, announced a week ahead.
 */
@Injectable()
export class PresentationsService {
  private active: { key: PresentationKeyEntity; until: number } | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: SigningKeysService,
    private readonly pki: PkiService,
    private readonly verification: VerificationService,
    @Inject(VERIFICATION_CONFIG) private readonly config: VerificationConfig,
    @Inject(HTTP_CONFIG) private readonly http: HttpConfig,
  ) {}

  /** A fresh token for the holder's certificate of this application; the holder only. */
  async present(
    principal: PersonPrincipal,
    applicationId: string,
  ): Promise<{ token: string; url: string; expiresAt: Date }> {
    const certificate = await this.verification.findForHolder(principal.personId, applicationId);
    if (!certificate) throw new CertificateException(CertificateErrorCode.NotIssued, { applicationId });
    const now = Date.now();
    const iat = Math.floor(now / 1000);
    const claims: PresentationClaims = {
      iss: this.http.publicBaseUrl,
      sub: certificate.number,
      typ: certificate.typeCode,
      tn: certificate.typeName,
      cm: certificate.committeeName,
      hn: certificate.holderName,
      hid: certificate.holderIdNumber,
      dh: certificate.documentSha256 ?? '',
      st: this.verification.stateOf(certificate, new Date(now)),
      iat,
      exp: iat + this.config.presentationTtlSeconds,
    };
    const key = await this.signingKey(now);
    const input = `${base64url(JSON.stringify({ alg: 'ES256', kid: key.id, typ: PRESENTATION_TOKEN_TYPE }))}.${base64url(JSON.stringify(claims))}`;
    const signature = await this.keys.signer(key.signingKey!).sign(Buffer.from(input, 'ascii'));
    const token = `${input}.${base64url(ecdsaDerToJose(signature))}`;
    return { token, url: `${this.http.publicBaseUrl}/v#p=${token}`, expiresAt: new Date(claims.exp * 1000) };
  }

  /** The verification keys (JWKS) and the district CA certificates, for verifiers that work offline. */
  async trustList(now = Date.now()): Promise<TrustList> {
    await this.signingKey(now);
    const published = await this.dataSource
      .getRepository(PresentationKeyEntity)
      .createQueryBuilder('k')
      .where('k.not_after > :since', { since: new Date(now - this.config.presentationTtlSeconds * 1000) })
      .orderBy('k.not_before')
      .getMany();
    const { root, issuing } = await this.pki.chain();
    return {
      issuer: this.http.publicBaseUrl,
      issuedAt: new Date(now),
      nextUpdate: new Date(now + TRUST_LIST_REFRESH_MS),
      keys: published.map((k) => ({
        ...k.publicJwk,
        kid: k.id,
        alg: 'ES256',
        use: 'sig',
        nbf: Math.floor(k.notBefore.getTime() / 1000),
        exp: Math.floor(k.notAfter.getTime() / 1000),
      })),
      certificates: [describeAuthority('root', root), describeAuthority('issuing', issuing)],
    };
  }

  /**
   * PEM of a seal's certificate followed by the issuing CA and the root: what a verifier imports. The
   * current certificate, or with `serialHex` the one that signed a document (kept after renewal or rotation).
   */
  async sealChainPem(sealId: string, serialHex?: string): Promise<string | null> {
    const certificate = serialHex
      ? await this.dataSource
          .getRepository(SealCertificateEntity)
          .findOneBy({ sealId, serialHex: serialHex.toLowerCase() })
      : await this.dataSource.getRepository(SealEntity).findOneBy({ id: sealId });
    if (!certificate) return null;
    const { root, issuing } = await this.pki.chain();
    return [certificate.certificateDer, issuing.certificateDer, root.certificateDer]
      .map((der) => new X509Certificate(der).toString())
      .join('');
  }

  /** The key that signs now, making it (and announcing its successor) when due. Cached for a minute. */
  private async signingKey(now: number): Promise<PresentationKeyEntity> {
    if (this.active && this.active.until > now) return this.active.key;
    const key = await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['presentation-keys']);
      let current = await this.currentKey(m, now);
      if (!current) current = await this.createKey(m, now);
      const successorDue = current.notAfter.getTime() - ROLLOVER_LEAD_MS <= now;
      if (successorDue && !(await this.currentKey(m, current.notAfter.getTime()))) {
        await this.createKey(m, current.notAfter.getTime());
      }
      return current;
    });
    this.active = { key, until: Math.min(now + KEY_CACHE_MS, key.notAfter.getTime()) };
    return key;
  }

  private currentKey(m: EntityManager, at: number): Promise<PresentationKeyEntity | null> {
    return m
      .getRepository(PresentationKeyEntity)
      .createQueryBuilder('k')
      .innerJoinAndSelect('k.signingKey', 's')
      .where('k.not_before <= :at AND k.not_after > :at', { at: new Date(at) })
      .orderBy('k.not_before', 'DESC')
      .getOne();
  }

  private async createKey(m: EntityManager, notBefore: number): Promise<PresentationKeyEntity> {
    const id = randomBytes(6).toString('base64url');
    const signingKey = await this.keys.create(m, `presentation-${id}`, 'ec-p256');
    const jwk = createPublicKey({ key: signingKey.publicKeySpki, format: 'der', type: 'spki' }).export({
      format: 'jwk',
    });
    const row = m.create(PresentationKeyEntity, {
      id,
      signingKeyId: signingKey.id,
      publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! },
      notBefore: new Date(notBefore),
      notAfter: new Date(notBefore + SIGNING_WINDOW_MS),
    });
    await m.insert(PresentationKeyEntity, row);
    row.signingKey = signingKey;
    return row;
  }
}

function describeAuthority(
  role: 'root' | 'issuing',
  authority: CertificateAuthorityEntity,
): TrustList['certificates'][number] {
  const certificate = new X509Certificate(authority.certificateDer);
  return {
    role,
    subject: authority.subject,
    serialHex: authority.serialHex,
    notBefore: authority.notBefore,
    notAfter: authority.notAfter,
    sha256: certificate.fingerprint256.replace(/:/g, '').toLowerCase(),
    pem: certificate.toString(),
  };
}
