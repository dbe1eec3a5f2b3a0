import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { AuditLog, type AuditEventEntity } from '@zhengming/audit';
import { IdentityErrorCode, IdentityException } from '@zhengming/identity';
import { Access } from './access';

export class AuditQueryDto {
  @ApiPropertyOptional({ description: '操作人 ID' })
  @IsOptional()
  @IsUUID('all')
  actor?: string;

  @ApiPropertyOptional({ example: 'staff_role', description: '对象类型' })
  @IsOptional()
  @Matches(/^[a-z_]{1,32}$/)
  objectType?: string;

  @ApiPropertyOptional({ description: '对象 ID' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  objectId?: string;

  @ApiPropertyOptional({ example: 'auth.login' })
  @IsOptional()
  @Matches(/^[a-z][a-z.-]{0,63}$/)
  action?: string;

  @ApiPropertyOptional({ description: '起始时间（含），ISO 8601' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ description: '截止时间（不含），ISO 8601' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;

  @ApiPropertyOptional({ description: '翻页：上一页最后一条的 seq' })
  @IsOptional()
  @Matches(/^[1-9]\d{0,18}$/)
  before?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

class AuditEventDto {
  @ApiProperty() seq!: string;
  @ApiProperty() occurredAt!: Date;
  @ApiProperty() actorType!: string;
  @ApiProperty({ nullable: true }) actorId!: string | null;
  @ApiProperty() action!: string;
  @ApiProperty() outcome!: string;
  @ApiProperty({ nullable: true }) objectType!: string | null;
  @ApiProperty({ nullable: true }) objectId!: string | null;
  @ApiProperty({ nullable: true }) organizationId!: string | null;
  @ApiProperty({ nullable: true }) requestId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
  @ApiProperty() hash!: string;
}

class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty({ nullable: true, description: '下一页的 before 参数；没有更多时为 null' }) nextBefore!: string | null;
}

@ApiTags('audit')
@Controller('api/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditLog) {}

  @Get()
  @Access.admin()
  @ApiOperation({ summary: '审计日志（按操作人、对象、动作、时间筛选，新到旧）' })
  @ApiOkResponse({ type: AuditPageDto })
  async list(@Query() query: AuditQueryDto): Promise<AuditPageDto> {
    if (query.from && query.to && query.from >= query.to) {
      throw new IdentityException(IdentityErrorCode.AuditQueryInvalid, { from: 'must be before to' });
    }
    const limit = query.limit ?? 50;
    const items = await this.audit.find({
      actorId: query.actor,
      objectType: query.objectType,
      objectId: query.objectId,
      action: query.action,
      from: query.from,
      to: query.to,
      before: query.before,
      limit,
    });
    return {
      items: items.map(({ prevHash: _prev, ...event }: AuditEventEntity) => event),
      nextBefore: items.length === limit ? items[items.length - 1].seq : null,
    };
  }
}
