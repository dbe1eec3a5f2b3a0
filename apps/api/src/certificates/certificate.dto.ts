import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { CERTIFICATE_STATUSES, type CertificateState, type CertificateStatus } from '@zhengming/certificates';
import {
  ROTATION_REVOCATION_REASONS,
  SEAL_REVOCATION_REASONS,
  SEAL_STATUSES,
  type RotationRevocationReason,
  type SealRevocationReason,
  type SealStatus,
} from '@zhengming/signing';

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CertificateDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '440118001001-EV-2026-000123-K7' }) number!: string;
  @ApiProperty({ enum: CERTIFICATE_STATUSES }) status!: CertificateStatus;
  @ApiProperty({ enum: ['valid', 'expired', 'revoked'], description: '当前效力：有效、已过期、已撤销' })
  state!: CertificateState;
  @ApiProperty({ nullable: true, type: Date }) revokedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) revocationReason!: string | null;
  @ApiProperty() typeName!: string;
  @ApiProperty() committeeName!: string;
  @ApiProperty() issuedAt!: Date;
  @ApiProperty() validUntil!: Date;
  @ApiProperty({ description: 'SHA-256 of the signed PDF, hex' }) documentSha256!: string;
  @ApiProperty() documentBytes!: number;
  @ApiProperty({ example: '/api/applications/…/certificate.pdf' }) downloadUrl!: string;
}

export class CertificateIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class SealIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class SealChainQuery {
  @ApiPropertyOptional({ description: '签名所用印章证书的序列号（十六进制）；不填为当前证书' })
  @IsOptional()
  @Matches(/^[0-9a-f]{2,64}$/i, { message: 'serial must be hexadecimal' })
  serial?: string;
}

export class SealQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') town?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') committee?: string;
  @ApiPropertyOptional({ enum: SEAL_STATUSES }) @IsOptional() @IsIn(SEAL_STATUSES) status?: SealStatus;
  @ApiPropertyOptional({ description: '印章名称或编码' }) @IsOptional() @IsString() @MaxLength(50) q?: string;
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class PageQueryDto {
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class SealDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '4401180010011' }) code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true, description: '村（居）委会印章的机构；企业印章为 null' }) committeeId!:
    string | null;
  @ApiProperty() committeeCode!: string;
  @ApiProperty({ enum: SEAL_STATUSES }) status!: SealStatus;
  @ApiPropertyOptional({ nullable: true, type: String }) statusReason!: string | null;
  @ApiPropertyOptional({ nullable: true, type: Date, description: '状态最近一次变更的时间' })
  statusChangedAt!: Date | null;
  @ApiProperty() certificateSerial!: string;
  @ApiProperty() notBefore!: Date;
  @ApiProperty() notAfter!: Date;
  @ApiProperty({ enum: ['ec-p256', 'rsa-2048'] }) algorithm!: string;
}

export class SealPageDto {
  @ApiProperty({ type: [SealDto] }) items!: SealDto[];
  @ApiProperty() total!: number;
}

export class SealUseDto {
  @ApiProperty() certificateId!: string;
  @ApiProperty() number!: string;
  @ApiProperty() typeName!: string;
  @ApiProperty({ enum: CERTIFICATE_STATUSES }) status!: CertificateStatus;
  @ApiPropertyOptional({ nullable: true, type: Date }) signedAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: String }) documentSha256!: string | null;
}

export class SealUsePageDto {
  @ApiProperty({ type: [SealUseDto] }) items!: SealUseDto[];
  @ApiProperty() total!: number;
}

export class SealSuspensionBody {
  @ApiProperty({ example: '印章保管人员离职，待重新指定', description: '暂停原因（2–200 字）' })
  @Transform(trimmed)
  @IsString()
  @Length(2, 200)
  reason!: string;
}

export class SealReinstatementBody {
  @ApiPropertyOptional({ example: '已重新指定保管人员', description: '恢复说明（可选，2–200 字）' })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @Length(2, 200)
  reason?: string;
}

export class SealRevocationBody {
  @ApiProperty({ example: '村委会撤并', description: '注销原因（2–200 字）' })
  @Transform(trimmed)
  @IsString()
  @Length(2, 200)
  reason!: string;

  @ApiPropertyOptional({
    enum: SEAL_REVOCATION_REASONS,
    default: 'unspecified',
    description: '写入证书吊销列表的原因代码（RFC 5280）',
  })
  @IsOptional()
  @IsIn(SEAL_REVOCATION_REASONS)
  code?: SealRevocationReason;
}

export class SealKeyRotationBody {
  @ApiPropertyOptional({
    enum: ROTATION_REVOCATION_REASONS,
    description: '同时吊销旧证书及其原因（如密钥可能泄露：keyCompromise）；不填则旧证书保留有效，已签文件不受影响',
  })
  @IsOptional()
  @IsIn(ROTATION_REVOCATION_REASONS)
  revokePrevious?: RotationRevocationReason;
}

export class SealCertificateDto {
  @ApiProperty() serial!: string;
  @ApiProperty() notBefore!: Date;
  @ApiProperty() notAfter!: Date;
  @ApiProperty({ description: '是否为当前证书' }) current!: boolean;
  @ApiPropertyOptional({ nullable: true, type: Date }) replacedAt!: Date | null;
  @ApiProperty({ description: '签发机构证书吊销列表地址' }) crlUrl!: string;
}

export class CrlFileParams {
  @ApiProperty({ example: '5f2f983b-085e-4229-93cf-6c98f6405513.crl', description: '签发机构标识.crl' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.crl$/i, {
    message: 'file must be <authority id>.crl',
  })
  file!: string;
}
