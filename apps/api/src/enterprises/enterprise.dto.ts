import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import {
  ENTERPRISE_APPLICATION_STATUSES,
  ENTERPRISE_SEAL_KINDS,
  type EnterpriseApplicationStatus,
  type EnterpriseSealKind,
} from '@zhengming/enterprises';
import { SEAL_STATUSES, type SealStatus } from '@zhengming/signing';

export class MaskedPersonDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '张*明' }) name!: string;
  @ApiProperty({ example: '4401**********1234' }) idNumber!: string;
  @ApiProperty({ example: '138****5678', nullable: true, type: String }) phone!: string | null;
  @ApiProperty() assuranceLevel!: number;
}

export class EnterpriseApplicationBody {
  @ApiProperty({ example: '91440118MA59C3KPXG', description: '统一社会信用代码（GB 32100 与 GB 11714 校验）' })
  @IsString()
  @Length(18, 24)
  creditCode!: string;

  @ApiProperty({ example: '广州增城示例科技有限公司' })
  @IsString()
  @Matches(/^\S(.*\S)?$/u, { message: 'enterpriseName must not start or end with spaces' })
  @Length(2, 60)
  enterpriseName!: string;

  @ApiProperty({
    enum: ENTERPRISE_SEAL_KINDS,
    isArray: true,
    description: '公章 official、财务专用章 finance、合同专用章 contract、发票专用章 invoice',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @ArrayUnique()
  @IsIn(ENTERPRISE_SEAL_KINDS, { each: true })
  sealKinds!: EnterpriseSealKind[];
}

export class RejectEnterpriseApplicationBody {
  @ApiProperty({ example: '营业执照与申请的企业名称不一致' })
  @IsString()
  @Matches(/\S/u, { message: 'reason must not be blank' })
  @Length(2, 200)
  reason!: string;
}

export class EnterpriseApplicationQuery {
  @ApiPropertyOptional({ enum: ENTERPRISE_APPLICATION_STATUSES })
  @IsOptional()
  @IsIn(ENTERPRISE_APPLICATION_STATUSES)
  status?: EnterpriseApplicationStatus;

  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class IdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class SealUserParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;

  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;
}

export class ApiKeyParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;

  @IsUUID('all', { message: 'keyId must be a UUID' })
  keyId!: string;
}

class IssuedSealDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ENTERPRISE_SEAL_KINDS }) kind!: EnterpriseSealKind;
  @ApiProperty({ example: '4401189000001' }) code!: string;
}

export class EnterpriseApplicationDto {
  @ApiProperty() id!: string;
  @ApiProperty() creditCode!: string;
  @ApiProperty() enterpriseName!: string;
  @ApiProperty({ type: MaskedPersonDto, description: '申请人（法定代表人），脱敏' }) applicant!: MaskedPersonDto;
  @ApiProperty({ enum: ENTERPRISE_SEAL_KINDS, isArray: true }) sealKinds!: EnterpriseSealKind[];
  @ApiProperty({ enum: ENTERPRISE_APPLICATION_STATUSES }) status!: EnterpriseApplicationStatus;
  @ApiProperty({ nullable: true, type: String }) decisionReason!: string | null;
  @ApiProperty({ nullable: true, type: Date }) decidedAt!: Date | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: String }) enterpriseId!: string | null;
  @ApiProperty({ type: [IssuedSealDto] }) seals!: IssuedSealDto[];
}

export class EnterpriseApplicationPageDto {
  @ApiProperty() total!: number;
  @ApiProperty({ type: [EnterpriseApplicationDto] }) items!: EnterpriseApplicationDto[];
}

class EnterpriseRefDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() creditCode!: string;
}

class SealUserDto {
  @ApiProperty() id!: string;
  @ApiProperty({ type: MaskedPersonDto }) person!: MaskedPersonDto;
  @ApiProperty() grantedAt!: Date;
}

export class EnterpriseSealDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '4401189000001' }) code!: string;
  @ApiProperty({ enum: ENTERPRISE_SEAL_KINDS }) kind!: EnterpriseSealKind;
  @ApiProperty({ example: '合同专用章' }) kindName!: string;
  @ApiProperty({ type: EnterpriseRefDto }) enterprise!: EnterpriseRefDto;
  @ApiProperty({ enum: SEAL_STATUSES }) status!: SealStatus;
  @ApiProperty({ nullable: true, type: String }) statusReason!: string | null;
  @ApiProperty() certificateSerial!: string;
  @ApiProperty() notBefore!: Date;
  @ApiProperty() notAfter!: Date;
  @ApiProperty({ description: '调用者是该企业的法定代表人' }) manageable!: boolean;
  @ApiProperty({ description: '调用者是该印章的用章人' }) usable!: boolean;
  @ApiProperty({ type: [SealUserDto], nullable: true, description: '用章人；仅法定代表人和区级管理员可见' })
  users!: SealUserDto[] | null;
}

export class EnterpriseSealListDto {
  @ApiProperty({ type: [EnterpriseSealDto] }) items!: EnterpriseSealDto[];
}

export class AddSealUserBody {
  @ApiProperty({ example: '王小明' })
  @IsString()
  @Length(1, 64)
  name!: string;

  @ApiProperty({ example: '440118199203040016', description: '18 位公民身份号码（校验位按 GB 11643 检查）' })
  @IsString()
  @Length(15, 20)
  idNumber!: string;
}

export class SealUsePageQuery {
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class SealUseLogEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty() usedAt!: Date;
  @ApiProperty({ type: MaskedPersonDto, nullable: true, description: '用章人；企业系统以 API 密钥调用时为 null' })
  person!: MaskedPersonDto | null;
  @ApiProperty({ nullable: true, type: String }) apiKeyId!: string | null;
  @ApiProperty({ description: '上传文件的 SHA-256' }) documentSha256!: string;
  @ApiProperty({ description: '盖章后文件的 SHA-256' }) signedSha256!: string;
  @ApiProperty({ description: '盖章页码（从 1 起）' }) page!: number;
  @ApiProperty() x!: number;
  @ApiProperty() y!: number;
  @ApiProperty() certificateSerial!: string;
}

export class SealUsePageDto {
  @ApiProperty() total!: number;
  @ApiProperty({ type: [SealUseLogEntryDto] }) items!: SealUseLogEntryDto[];
}

export class ApiKeyBody {
  @ApiProperty({ example: '合同管理系统' })
  @IsString()
  @Length(1, 64)
  label!: string;
}

export class ApiKeyCreatedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: '只显示这一次；调用时放在 X-API-Key 请求头' }) key!: string;
  @ApiProperty() prefix!: string;
}
