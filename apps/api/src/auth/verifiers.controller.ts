import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import {
  SECTOR_NAMES,
  VerifierSector,
  VerifiersService,
  type PersonPrincipal,
  type Principal,
  type VerifierApiKeyEntity,
  type VerifierInstitutionEntity,
} from '@zhengming/identity';
import { Access, CurrentPerson, CurrentPrincipal } from './access';
import { NoQuery } from '../http/no-query.dto';

const SECTORS = Object.values(VerifierSector);

export class CreateInstitutionBody {
  @ApiProperty({ example: '中国工商银行增城支行' })
  @IsString()
  @Length(2, 100)
  name!: string;

  @ApiProperty({ enum: SECTORS })
  @IsIn(SECTORS)
  sector!: VerifierSector;

  @ApiPropertyOptional({ example: '91440101MA5CXXXX0X', description: '统一社会信用代码（GB 32100 校验）' })
  @IsOptional()
  @IsString()
  @Length(18, 18)
  creditCode?: string;
}

export class CreateApiKeyBody {
  @ApiProperty({ example: '柜台核验系统' })
  @IsString()
  @Length(1, 64)
  label!: string;

  @ApiPropertyOptional({
    example: 120,
    description: '每分钟请求上限（1–1,000,000；批量核验的机构可申请高限额），默认 60',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rateLimitPerMinute?: number;
}

class InstitutionIdParams {
  @IsUUID('4', { message: 'id must be a UUID' })
  id!: string;
}

class ApiKeyParams extends InstitutionIdParams {
  @IsUUID('4', { message: 'keyId must be a UUID' })
  keyId!: string;
}

class InstitutionDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: SECTORS }) sector!: VerifierSector;
  @ApiProperty({ example: '银行' }) sectorName!: string;
  @ApiProperty({ nullable: true }) creditCode!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty() createdAt!: Date;
}

class ApiKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: '密钥前缀，用于辨认（不是密钥本身）' }) prefix!: string;
  @ApiProperty() label!: string;
  @ApiProperty() rateLimitPerMinute!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true }) lastUsedAt!: Date | null;
  @ApiProperty({ nullable: true }) revokedAt!: Date | null;
}

class InstitutionDetailDto extends InstitutionDto {
  @ApiProperty({ type: [ApiKeyDto] }) keys!: ApiKeyDto[];
}

class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: '完整密钥：只显示这一次，请立即妥善保存' }) key!: string;
}

class VerifierSelfDto {
  @ApiProperty() institutionId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: SECTORS }) sector!: VerifierSector;
  @ApiProperty() keyId!: string;
}

const mapInstitution = (i: VerifierInstitutionEntity): InstitutionDto => ({
  id: i.id,
  name: i.name,
  sector: i.sector,
  sectorName: SECTOR_NAMES[i.sector],
  creditCode: i.creditCode,
  active: i.active,
  createdAt: i.createdAt,
});

const mapKey = (k: VerifierApiKeyEntity): ApiKeyDto => ({
  id: k.id,
  prefix: k.prefix,
  label: k.label,
  rateLimitPerMinute: k.rateLimitPerMinute,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
  revokedAt: k.revokedAt,
});

@ApiTags('verifiers')
@Controller('api')
export class VerifiersController {
  constructor(private readonly verifiers: VerifiersService) {}

  @Post('verifier-institutions')
  @Access.admin()
  @ApiOperation({ summary: '登记核验机构（银行、学校、机关等）' })
  @ApiCreatedResponse({ type: InstitutionDto })
  async create(
    @Body() body: CreateInstitutionBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<InstitutionDto> {
    return mapInstitution(await this.verifiers.createInstitution(body, person, request.id));
  }

  @Get('verifier-institutions')
  @Access.admin()
  @ApiOperation({ summary: '核验机构列表' })
  @ApiOkResponse({ type: [InstitutionDto] })
  async list(@Query(NoQuery) _query: object): Promise<InstitutionDto[]> {
    return (await this.verifiers.list()).map(mapInstitution);
  }

  @Get('verifier-institutions/:id')
  @Access.admin()
  @ApiOperation({ summary: '核验机构详情及其 API 密钥（不含密钥本身）' })
  @ApiOkResponse({ type: InstitutionDetailDto })
  async get(@Param() params: InstitutionIdParams, @Query(NoQuery) _query: object): Promise<InstitutionDetailDto> {
    const { institution, keys } = await this.verifiers.get(params.id);
    return { ...mapInstitution(institution), keys: keys.map(mapKey) };
  }

  @Post('verifier-institutions/:id/api-keys')
  @Access.admin()
  @ApiOperation({ summary: '为核验机构签发 API 密钥（完整密钥只返回这一次）' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async createKey(
    @Param() params: InstitutionIdParams,
    @Body() body: CreateApiKeyBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<CreatedApiKeyDto> {
    const { row, key } = await this.verifiers.createKey(
      params.id,
      { label: body.label, rateLimitPerMinute: body.rateLimitPerMinute ?? 60 },
      person,
      request.id,
    );
    return { ...mapKey(row), key };
  }

  @Delete('verifier-institutions/:id/api-keys/:keyId')
  @HttpCode(204)
  @Access.admin()
  @ApiOperation({ summary: '吊销 API 密钥（立即生效）' })
  async revokeKey(
    @Param() params: ApiKeyParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.verifiers.revokeKey(params.id, params.keyId, person, request.id);
  }

  @Get('verifier/me')
  @Access.verifier()
  @ApiOperation({ summary: '持 API 密钥的核验机构查看自己的身份' })
  @ApiOkResponse({ type: VerifierSelfDto })
  async self(@CurrentPrincipal() principal: Principal, @Query(NoQuery) _query: object): Promise<VerifierSelfDto> {
    if (principal.kind !== 'institution') throw new Error('verifier policy admits institutions only');
    const { institution } = await this.verifiers.get(principal.institutionId);
    return {
      institutionId: institution.id,
      name: institution.name,
      sector: institution.sector,
      keyId: principal.keyId,
    };
  }
}
