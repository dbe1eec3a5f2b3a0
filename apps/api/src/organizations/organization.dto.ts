import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import {
  ORGANIZATION_CODE_PATTERN,
  ORGANIZATION_FILTERS,
  ORGANIZATION_KINDS,
  ORGANIZATION_LEVELS,
  type OrganizationEntity,
  type OrganizationFilter,
  type OrganizationKind,
  type OrganizationLevel,
  type OrganizationPage,
} from '@zhengming/organizations';

export class ListOrganizationsQuery {
  @ApiPropertyOptional({
    description: '上级组织编码（区 6 位、镇街 9 位）',
    example: '440118001',
  })
  @IsOptional()
  @Matches(ORGANIZATION_CODE_PATTERN, {
    message: 'parent must be an organization code of 6, 9 or 12 digits',
  })
  parent?: string;

  @ApiPropertyOptional({
    enum: ORGANIZATION_FILTERS,
    description: '层级或类型；committee 即全部村（居）委会',
  })
  @IsOptional()
  @IsIn(ORGANIZATION_FILTERS)
  kind?: OrganizationFilter;

  @ApiPropertyOptional({ description: '按名称或编码前缀查找', example: '荔城' })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  q?: string;

  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10000)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize: number = 20;
}

export class OrganizationCodeParams {
  @ApiProperty({ example: '440118001001' })
  @Matches(ORGANIZATION_CODE_PATTERN, {
    message: 'code must be an organization code of 6, 9 or 12 digits',
  })
  code!: string;
}

export class OrganizationRefDto {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
}

export class OrganizationDto {
  @ApiProperty({ example: '440118001001' }) code!: string;
  @ApiProperty({ example: '荔城社区居民委员会' }) name!: string;
  @ApiProperty({ enum: ORGANIZATION_LEVELS }) level!: OrganizationLevel;
  @ApiProperty({ enum: ORGANIZATION_KINDS }) kind!: OrganizationKind;
  @ApiProperty({ type: OrganizationRefDto, nullable: true })
  parent!: OrganizationRefDto | null;
}

export class OrganizationPageDto {
  @ApiProperty({ type: [OrganizationDto] }) items!: OrganizationDto[];
  @ApiProperty() total!: number;
  @ApiProperty() page!: number;
  @ApiProperty() pageSize!: number;
}

export function mapOrganization(entity: OrganizationEntity): OrganizationDto {
  return {
    code: entity.code,
    name: entity.name,
    level: entity.level,
    kind: entity.kind,
    parent: entity.parent ? { code: entity.parent.code, name: entity.parent.name } : null,
  };
}

export function mapOrganizationPage(page: OrganizationPage): OrganizationPageDto {
  return {
    items: page.items.map(mapOrganization),
    total: page.total,
    page: page.page,
    pageSize: page.pageSize,
  };
}
