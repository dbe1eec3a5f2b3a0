import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ORGANIZATION_CODE_PATTERN } from '@zhengming/organizations';
import { APPLICATION_STATUSES, type ApplicationStatus } from '@zhengming/applications';

export class ApplicationIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class MaterialIdParams extends ApplicationIdParams {
  @IsUUID('all', { message: 'materialId must be a UUID' })
  materialId!: string;
}

export class CreateApplicationBody {
  @ApiProperty({ example: 'weather', description: '证明事项编码' })
  @IsString()
  @Matches(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, { message: 'typeCode must be a certificate type code' })
  @MaxLength(64)
  typeCode!: string;

  @ApiProperty({ example: '440118001001', description: '受理的村（居）委会编码（12 位）' })
  @Matches(ORGANIZATION_CODE_PATTERN, { message: 'committeeCode must be an organization code' })
  committeeCode!: string;
}

export class UpdateFormBody {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: '按证明事项表单结构填写；脱敏显示的身份证号、手机号原样回传表示不修改',
  })
  @IsObject()
  form!: Record<string, unknown>;
}

class SupplementItemBody {
  @ApiProperty({ example: 'applicant-id-card' })
  @IsString()
  @Length(1, 64)
  materialKey!: string;

  @ApiProperty({ example: '身份证照片模糊，请重新拍摄人像面' })
  @IsString()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @Length(2, 200)
  reason!: string;
}

export class SupplementRequestBody {
  @ApiProperty({ type: [SupplementItemBody] })
  @ValidateNested({ each: true })
  @Type(() => SupplementItemBody)
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  items!: SupplementItemBody[];

  @ApiPropertyOptional({ example: '请于 5 个工作日内补齐' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  note?: string;
}

export class RejectBody {
  @ApiProperty({ example: '申请事项不属于本村（居）委会的证明范围' })
  @IsString()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @Length(2, 500)
  reason!: string;
}

export class ApproveBody {
  @ApiPropertyOptional({ example: '材料齐全，同意出具' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

const QUEUE_STATUSES = ['submitted', 'in_review', 'supplement_requested', 'approved'] as const;

export class ListApplicationsQuery {
  @ApiPropertyOptional({ description: '只看自己的申请（居民）', enum: ['true'] })
  @IsOptional()
  @IsIn(['true'])
  mine?: 'true';

  @ApiPropertyOptional({ description: '本机构的待办（工作人员）', enum: ['true'] })
  @IsOptional()
  @IsIn(['true'])
  queue?: 'true';

  @ApiPropertyOptional({ enum: QUEUE_STATUSES, description: '待办按状态筛选，默认为已提交和审核中' })
  @IsOptional()
  @IsIn(QUEUE_STATUSES)
  status?: (typeof QUEUE_STATUSES)[number];

  @ApiPropertyOptional({ description: '待办所属的村（居）委会（镇街督导、区管理员用）' })
  @IsOptional()
  @Matches(ORGANIZATION_CODE_PATTERN, { message: 'committee must be an organization code' })
  committee?: string;

  @ApiPropertyOptional({ description: '上一页返回的 nextCursor' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;
}

class ClockDto {
  @ApiProperty() limitWorkingDays!: number;
  @ApiProperty() usedWorkingDays!: number;
  @ApiProperty({ description: '负数表示已超期' }) remainingWorkingDays!: number;
  @ApiProperty({ nullable: true, example: '2026-11-25' }) dueDate!: string | null;
  @ApiProperty() paused!: boolean;
  @ApiProperty() overdue!: boolean;
}

class NamedRefDto {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
}

export class MaterialDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'applicant-id-card' }) key!: string;
  @ApiProperty() fileName!: string;
  @ApiProperty({ enum: ['image', 'pdf'] }) kind!: 'image' | 'pdf';
  @ApiProperty() contentType!: string;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty() round!: number;
  @ApiProperty() uploadedAt!: Date;
  @ApiProperty() contentUrl!: string;
  @ApiProperty() isNew!: boolean;
}

class TimelineEntryDto {
  @ApiProperty() at!: Date;
  @ApiProperty() action!: string;
  @ApiProperty({ example: '提交申请' }) actionName!: string;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status!: ApplicationStatus;
  @ApiProperty({ example: '已提交' }) statusName!: string;
  @ApiProperty({ example: '申请人' }) actor!: string;
  @ApiProperty({ nullable: true }) note!: string | null;
}

export class ApplicationDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'SQ20261121000001' }) referenceNo!: string;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status!: ApplicationStatus;
  @ApiProperty({ example: '出证中' }) statusName!: string;
  @ApiProperty({ type: NamedRefDto }) type!: NamedRefDto & { version: number };
  @ApiProperty({ type: NamedRefDto }) committee!: NamedRefDto;
  @ApiProperty({
    example: { name: '李*梅', isCaller: true },
    description: 'isCaller: the caller is the applicant (持证人)',
  })
  applicant!: { name: string; isCaller: boolean };
  @ApiProperty({ type: 'object', additionalProperties: true, description: '身份证号、手机号已脱敏' })
  form!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) formSchema!: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) materialRequirements!: unknown[];
  @ApiProperty({ type: [MaterialDto] }) materials!: MaterialDto[];
  @ApiProperty() round!: number;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) supplementRequest!: unknown;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) changesSinceLastRound!: unknown;
  @ApiProperty({ nullable: true }) rejectionReason!: string | null;
  @ApiProperty({ type: [TimelineEntryDto] }) timeline!: TimelineEntryDto[];
  @ApiProperty({ type: ClockDto, nullable: true }) clock!: ClockDto | null;
  @ApiProperty({ type: [String], example: ['edit', 'upload', 'submit', 'withdraw'] }) allowedActions!: string[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
  @ApiProperty({ nullable: true }) submittedAt!: Date | null;
}

class ApplicationSummaryDto {
  @ApiProperty() id!: string;
  @ApiProperty() referenceNo!: string;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status!: ApplicationStatus;
  @ApiProperty() statusName!: string;
  @ApiProperty({ type: NamedRefDto }) type!: NamedRefDto;
  @ApiProperty({ type: NamedRefDto }) committee!: NamedRefDto;
  @ApiProperty({ example: '李*梅' }) applicantName!: string;
  @ApiProperty({ nullable: true }) submittedAt!: Date | null;
  @ApiProperty() updatedAt!: Date;
  @ApiProperty({ type: ClockDto, nullable: true }) clock!: ClockDto | null;
}

export class ApplicationPageDto {
  @ApiProperty({ type: [ApplicationSummaryDto] }) items!: ApplicationSummaryDto[];
  @ApiProperty({ nullable: true }) nextCursor!: string | null;
}

export class CommitteeLookupQuery {
  @ApiProperty({ example: '广州市增城区荔城街道城南社区府佑路8号' })
  @IsString()
  @Length(2, 200)
  address!: string;
}

class CommitteeCandidateDto extends NamedRefDto {
  @ApiProperty({ type: NamedRefDto }) town!: NamedRefDto;
}

export class CommitteeLookupDto {
  @ApiProperty({ type: [CommitteeCandidateDto] }) candidates!: CommitteeCandidateDto[];
}

export class NotificationDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '请补齐材料' }) title!: string;
  @ApiProperty() body!: string;
  @ApiProperty({ nullable: true }) applicationId!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true }) readAt!: Date | null;
}

export class NotificationPageDto {
  @ApiProperty({ type: [NotificationDto] }) items!: NotificationDto[];
  @ApiProperty() unread!: number;
}

export class NotificationIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}
