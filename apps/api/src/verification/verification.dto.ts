import { applyDecorators } from '@nestjs/common';
import { ApiParam, ApiProperty, ApiPropertyOptional, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { CertificateState } from '@zhengming/certificates';
import { SEAL_STATUSES, type SealStatus } from '@zhengming/signing';
import {
  VERIFICATION_METHODS,
  VERIFICATION_RESULTS,
  VERIFIER_SECTORS,
  type PdfReason,
  type VerificationMethod,
  type VerificationResult,
  type VerificationStatus,
  type VerifiedCertificate,
  type VerifierSectorOrAnonymous,
} from '@zhengming/verification';

const STATUSES = ['valid', 'expired', 'revoked', 'unknown'] as const;
const STATES = ['valid', 'expired', 'revoked'] as const;

/**
 * The printed number and code, as the verify and download routes take them. Zod rather than a
 * class-validator DTO: these are the verifier API's hot path (see ZodValidationPipe).
 */
export const verificationNumber = z
  .string()
  .min(1)
  .max(48)
  .regex(/^[0-9A-Za-z-]+$/, 'number must be letters, digits and hyphens');

export const verificationQuery = z.strictObject({
  code: z
    .string()
    .min(1)
    .max(16)
    .regex(/^[0-9A-Za-z -]+$/, 'code must be letters and digits')
    .optional(),
  source: z.enum(['qr', 'manual']).optional(),
});

export type VerificationQuery = z.infer<typeof verificationQuery>;

/** The OpenAPI description of the number and query above. */
export function ApiVerificationInput(): MethodDecorator {
  return applyDecorators(
    ApiParam({ name: 'number', example: '440118001001-EV-2026-000123-K7', description: '证明编号（可不带连字符）' }),
    ApiQuery({
      name: 'code',
      required: false,
      example: '7KQ2M9XD',
      description: '证明上印制的 8 位校验码（不区分大小写，可含空格或连字符）；缺少或错误时与编号不存在的回答相同',
    }),
    ApiQuery({
      name: 'source',
      required: false,
      enum: ['qr', 'manual'],
      description: '页面来源：扫码打开或手工输入（机构调用时忽略）',
    }),
  );
}

export class SealStateDto {
  @ApiProperty({ enum: SEAL_STATUSES, description: 'active 使用中 · suspended 已暂停 · revoked 已注销' })
  status!: SealStatus;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ description: '自何时起' }) since!: Date;
}

export class SealVerificationDto {
  @ApiProperty() name!: string;
  @ApiProperty() code!: string;
  @ApiProperty({ nullable: true, type: String, description: '签名所用印章证书序列号' })
  certificateSerial!: string | null;
  @ApiProperty({ type: SealStateDto, nullable: true, description: '签名时印章的状态' })
  atSigning!: SealStateDto | null;
  @ApiProperty({ type: SealStateDto, description: '印章现在的状态' }) now!: SealStateDto;
}

export class VerifiedCertificateDto {
  @ApiProperty() number!: string;
  @ApiProperty({ example: 'ev-charger' }) typeCode!: string;
  @ApiProperty() typeName!: string;
  @ApiProperty() committeeName!: string;
  @ApiProperty() committeeCode!: string;
  @ApiProperty() issuedAt!: Date;
  @ApiProperty() validUntil!: Date;
  @ApiProperty({ example: '张*明' }) holderName!: string;
  @ApiProperty({ example: '4401**********1234' }) holderIdNumber!: string;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 of the signed PDF, hex' })
  documentSha256!: string | null;
  @ApiProperty({ nullable: true, type: Date }) revokedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) revocationReason!: string | null;
  @ApiProperty({ type: SealVerificationDto, nullable: true, description: '出具单位电子印章：签章时与现在的状态' })
  seal!: SealVerificationDto | null;
}

export class VerdictDto {
  @ApiProperty({ enum: STATUSES }) status!: VerificationStatus;
  @ApiProperty() checkedAt!: Date;
  @ApiProperty({ type: VerifiedCertificateDto, nullable: true }) certificate!: VerifiedCertificateDto | null;
  @ApiProperty({ nullable: true, type: String, description: '出具单位印章证书链（PEM）' }) chainUrl!: string | null;
}

export class PdfTimestampDto {
  @ApiProperty({ nullable: true, type: Date, description: '时间戳时间（genTime）' }) time!: Date | null;
  @ApiProperty({ nullable: true, type: String, description: '时间戳服务证书的名称' }) authority!: string | null;
  @ApiProperty({ description: '时间戳对本签名值有效，且其服务证书链至区级根证书（或配置的时间戳根证书）' })
  valid!: boolean;
  @ApiProperty({ nullable: true, type: String, example: 'imprint_mismatch' }) problem!: string | null;
}

export class PdfSignatureDto {
  @ApiProperty({ nullable: true, type: String }) fieldName!: string | null;
  @ApiProperty({ nullable: true, type: String }) signerName!: string | null;
  @ApiProperty({ nullable: true, type: String }) organization!: string | null;
  @ApiProperty({ nullable: true, type: Date }) signingTime!: Date | null;
  @ApiProperty({ type: PdfTimestampDto, nullable: true, description: '签名时间戳（PAdES B-T）；无则为 null' })
  timestamp!: PdfTimestampDto | null;
  @ApiProperty({ description: '签名密码学校验通过，签名范围内未被改动' }) intact!: boolean;
  @ApiProperty({ description: '签名范围覆盖整个文件' }) coversWholeFile!: boolean;
  @ApiProperty({ description: '签名证书链至区级根证书' }) chainsToRoot!: boolean;
  @ApiProperty({ type: [String] }) problems!: string[];
  @ApiProperty({ nullable: true, type: String, description: '签名证书序列号（十六进制）' })
  certificateSerial!: string | null;
  @ApiProperty({ type: SealVerificationDto, nullable: true, description: '电子印章签名：签名时与现在的印章状态' })
  seal!: SealVerificationDto | null;
}

export class SealUseVerdictDto {
  @ApiProperty() useId!: string;
  @ApiProperty() sealId!: string;
  @ApiProperty({ example: '4401189000001' }) sealCode!: string;
  @ApiProperty() enterpriseName!: string;
  @ApiProperty() creditCode!: string;
  @ApiProperty({ example: '合同专用章' }) kindName!: string;
  @ApiProperty() usedAt!: Date;
  @ApiProperty({ description: '盖章页码' }) page!: number;
  @ApiProperty({ description: '用章后文件的 SHA-256' }) signedSha256!: string;
}

export class PdfVerdictDto {
  @ApiProperty() valid!: boolean;
  @ApiProperty({
    type: [String],
    example: ['signature_invalid'],
    description:
      'no_signatures, signature_invalid, not_whole_file, untrusted_signer, timestamp_invalid, unknown_document, document_mismatch, certificate_revoked, certificate_expired, seal_not_in_force_at_signing',
  })
  reasons!: PdfReason[];
  @ApiProperty() sha256!: string;
  @ApiProperty() bytes!: number;
  @ApiProperty({ type: [PdfSignatureDto] }) signatures!: PdfSignatureDto[];
  @ApiProperty({ type: VerifiedCertificateDto, nullable: true }) certificate!: VerifiedCertificateDto | null;
  @ApiProperty({ enum: STATES, nullable: true }) certificateStatus!: CertificateState | null;
  @ApiProperty({ description: '文件与出具记录（或企业用章记录）逐字节一致' }) documentMatches!: boolean;
  @ApiProperty({ type: SealUseVerdictDto, nullable: true, description: '企业用章服务盖章的文件：对应的用章记录' })
  sealUse!: SealUseVerdictDto | null;
  @ApiProperty({ nullable: true, type: String }) chainUrl!: string | null;
}

export class HolderLogEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty() certificateNumber!: string;
  @ApiProperty() typeName!: string;
  @ApiProperty({ example: '中国工商银行增城支行', description: '核验机构名称，匿名核验为“匿名”' }) verifier!: string;
  @ApiProperty({ enum: VERIFIER_SECTORS }) sector!: VerifierSectorOrAnonymous;
  @ApiProperty({ example: '银行' }) sectorName!: string;
  @ApiProperty({ enum: VERIFICATION_METHODS }) method!: VerificationMethod;
  @ApiProperty({ example: '扫码核验' }) methodName!: string;
  @ApiProperty({ enum: VERIFICATION_RESULTS }) result!: VerificationResult;
  @ApiProperty() at!: Date;
}

export class HolderLogPageDto {
  @ApiProperty({ type: [HolderLogEntryDto] }) items!: HolderLogEntryDto[];
  @ApiProperty() total!: number;
}

export class HolderLogQuery {
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
  @ApiPropertyOptional({ default: 20 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
}

export class RevocationBody {
  @ApiProperty({ example: '申请人提供的材料不实', description: '撤销原因（2–200 字）' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(2, 200)
  reason!: string;
}

export class PresentationDto {
  @ApiProperty({ description: 'compact JWS (ES256)' }) token!: string;
  @ApiProperty({ description: '出示码二维码内容：核验页地址，令牌在 # 之后，不发往服务器' }) url!: string;
  @ApiProperty() expiresAt!: Date;
}

export class TrustKeyDto {
  @ApiProperty({ example: 'EC' }) kty!: string;
  @ApiProperty({ example: 'P-256' }) crv!: string;
  @ApiProperty() x!: string;
  @ApiProperty() y!: string;
  @ApiProperty() kid!: string;
  @ApiProperty({ example: 'ES256' }) alg!: string;
  @ApiProperty({ example: 'sig' }) use!: string;
  @ApiProperty({ description: '起用时间（epoch 秒）：签发于 [nbf, exp) 的出示码由此密钥签名' }) nbf!: number;
  @ApiProperty({ description: '停用时间（epoch 秒）' }) exp!: number;
}

export class TrustCertificateDto {
  @ApiProperty({ enum: ['root', 'issuing'] }) role!: string;
  @ApiProperty() subject!: string;
  @ApiProperty() serialHex!: string;
  @ApiProperty() notBefore!: Date;
  @ApiProperty() notAfter!: Date;
  @ApiProperty() sha256!: string;
  @ApiProperty() pem!: string;
}

export class TrustListDto {
  @ApiProperty() issuer!: string;
  @ApiProperty() issuedAt!: Date;
  @ApiProperty({ description: '离线核验端应在此时间前联网更新' }) nextUpdate!: Date;
  @ApiProperty({ type: [TrustKeyDto] }) keys!: TrustKeyDto[];
  @ApiProperty({ type: [TrustCertificateDto] }) certificates!: TrustCertificateDto[];
}

export function certificateDto(certificate: VerifiedCertificate | null): VerifiedCertificateDto | null {
  if (!certificate) return null;
  return {
    number: certificate.number,
    typeCode: certificate.typeCode,
    typeName: certificate.typeName,
    committeeName: certificate.committeeName,
    committeeCode: certificate.committeeCode,
    issuedAt: certificate.issuedAt,
    validUntil: certificate.validUntil,
    holderName: certificate.holderName,
    holderIdNumber: certificate.holderIdNumber,
    documentSha256: certificate.documentSha256,
    revokedAt: certificate.revokedAt,
    revocationReason: certificate.revocationReason,
    seal: certificate.seal,
  };
}

export function chainUrlOf(certificate: VerifiedCertificate | null): string | null {
  if (!certificate?.sealId) return null;
  // The chain of the certificate that sealed this document, which renewal or rotation may have replaced since.
  const serial = certificate.seal?.certificateSerial;
  return `/api/trust-list/seals/${certificate.sealId}/chain.pem${serial ? `?serial=${serial}` : ''}`;
}
