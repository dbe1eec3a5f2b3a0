import { createHash, sign } from 'node:crypto';
import {
  children,
  contextTag,
  derSetOf,
  encodeDer,
  integer,
  octetString,
  oid,
  parseDer,
  sequence,
  set,
  unsignedInteger,
  type Asn1,
} from '../../../libs/signing/src/cms/der';
import {
  attribute,
  digestAlgorithm,
  signatureAlgorithm,
  signerIdentity,
  signingCertificateV2,
  type SignerIdentity,
} from '../../../libs/signing/src/cms/cades-signed-data';
import {
  generalizedTime,
  namedBitString,
  PKI_STATUS,
  TSP_OID,
  utf8String,
} from '../../../libs/signing/src/timestamp/asn1';
import type { TimeStampQuery } from './time-stamp-query';
import type { TsaIdentity } from './tsa-identity';

export interface TokenInput {
  query: TimeStampQuery;
  policy: string;
  serialNumber: bigint;
  genTime: Date;
}

/** What every token of one TSA carries alike: its certificate's names, its ESSCertIDv2 and the certificates. */
interface TsaParts {
  fields: SignerIdentity;
  signingCertificate: Asn1;
  certificates: Asn1[];
}

/** Taken apart once per identity, not for every token: parsing them was most of a token's cost. */
const partsOf = new WeakMap<TsaIdentity, TsaParts>();

function tsaParts(identity: TsaIdentity): TsaParts {
  let parts = partsOf.get(identity);
  if (!parts) {
    const fields = signerIdentity(identity.certificate);
    parts = {
      fields,
      signingCertificate: signingCertificateV2(identity.certificate, fields),
      certificates: [identity.certificate, ...identity.chain].map((der) => parseDer(der)),
    };
    partsOf.set(identity, parts);
  }
  return parts;
}

/** What the TSA claims about genTime (TSTInfo.accuracy): its clock is the machine's. */
const ACCURACY_SECONDS = 1;

/**
 * A TimeStampResp granting `input`: status granted and a TimeStampToken, a CMS SignedData (RFC 5652)
 * over the TSTInfo (RFC 3161 §2.4.2), signed by the TSA key over the signed attributes contentType
 * (id-ct-TSTInfo), messageDigest and signingCertificateV2 (RFC 5816: ESSCertIDv2, SHA-256 of the TSA
 * certificate). The certificates go in when the query asked for them (certReq).
 */
export function grantedResponse(identity: TsaIdentity, input: TokenInput): Buffer {
  const tstInfo = encodeDer(tstInfoOf(identity, input));
  return encodeDer(sequence([statusInfo(PKI_STATUS.granted), timeStampToken(identity, tstInfo, input.query.certReq)]));
}

/** A TimeStampResp refusing the query: status rejection with one PKIFailureInfo bit and a text. */
export function rejectionResponse(failInfo: number, text: string): Buffer {
  return encodeDer(sequence([statusInfo(PKI_STATUS.rejection, text, failInfo)]));
}

/** PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL } */
function statusInfo(status: number, text?: string, failInfo?: number): Asn1 {
  return sequence([
    integer(status),
    ...(text === undefined ? [] : [sequence([utf8String(text)])]),
    ...(failInfo === undefined ? [] : [namedBitString([failInfo])]),
  ]);
}

/**
 *   TSTInfo ::= SEQUENCE { version INTEGER { v1(1) }, policy TSAPolicyId, messageImprint MessageImprint,
 *     serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE,
 *     nonce INTEGER OPTIONAL, tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
 *
 * ordering is FALSE, so absent (DER); tsa is the certificate's subject as a directoryName: GeneralName
 * is a CHOICE, so both [0] and [4] are EXPLICIT.
 */
function tstInfoOf(identity: TsaIdentity, input: TokenInput): Asn1 {
  return sequence([
    integer(1),
    oid(input.policy),
    input.query.messageImprint,
    unsignedInteger(bigintOctets(input.serialNumber)),
    generalizedTime(input.genTime),
    sequence([integer(ACCURACY_SECONDS)]),
    ...(input.query.nonce ? [input.query.nonce] : []),
    contextTag(0, [contextTag(4, [tsaParts(identity).fields.subject])]),
  ]);
}

/** ContentInfo { id-signedData, [0] SignedData } with the TSTInfo encapsulated. */
function timeStampToken(identity: TsaIdentity, tstInfo: Buffer, includeCertificates: boolean): Asn1 {
  const { fields, signingCertificate, certificates: certificateNodes } = tsaParts(identity);
  const signedAttributes = derSetOf([
    attribute(TSP_OID.contentType, oid(TSP_OID.tstInfo)),
    attribute(TSP_OID.messageDigest, octetString(createHash('sha256').update(tstInfo).digest())),
    attribute(TSP_OID.signingCertificateV2, signingCertificate),
  ]);
  // RFC 5652 §5.4: the signature covers the attributes as a SET OF, not as the [0] they are stored in.
  // ECDSA: a DER Ecdsa-Sig-Value; RSA: PKCS#1 v1.5 — node:crypto's defaults for these keys.
  const signature = sign('sha256', encodeDer(signedAttributes), identity.key);
  const signerInfo = sequence([
    integer(1),
    sequence([fields.issuer, fields.serialNumber]),
    digestAlgorithm(),
    contextTag(0, children(signedAttributes)),
    // rsaEncryption names RSA keys of any size; the CMS signer's type says rsa-2048 for all of them.
    signatureAlgorithm(identity.algorithm === 'ec-p256' ? 'ec-p256' : 'rsa-2048'),
    octetString(signature),
  ]);
  const certificates = includeCertificates ? [contextTag(0, certificateNodes)] : [];
  const signedData = sequence([
    // RFC 5652 §5.1: version 3, as the encapsulated content is not id-data.
    integer(3),
    set([digestAlgorithm()]),
    sequence([oid(TSP_OID.tstInfo), contextTag(0, [octetString(tstInfo)])]),
    ...certificates,
    set([signerInfo]),
  ]);
  return sequence([oid(TSP_OID.signedData), contextTag(0, [signedData])]);
}

function bigintOctets(value: bigint): Buffer {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}
