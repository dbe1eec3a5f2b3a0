import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { CERTIFICATE_STATUSES, type CertificateState, type CertificateStatus } from '@zhengming/certificates';
import { SEAL_STATUSES, type SealStatus } from '@zhengming/signing';

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
  @ApiProperty() committeeId!: string;
  @ApiProperty() committeeCode!: string;
  @ApiProperty({ enum: SEAL_STATUSES }) status!: SealStatus;
  @ApiPropertyOptional({ nullable: true, type: String }) statusReason!: string | null;
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
