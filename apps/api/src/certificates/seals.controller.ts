import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CertificatesService } from '@zhengming/certificates';
import { SealsService, type SealEntity } from '@zhengming/signing';
import { Access } from '../auth/access';
import { PageQueryDto, SealDto, SealIdParams, SealPageDto, SealQueryDto, SealUsePageDto } from './certificate.dto';

@ApiTags('seals')
@Controller('api/seals')
export class SealsController {
  constructor(
    private readonly seals: SealsService,
    private readonly certificates: CertificatesService,
  ) {}

  @Get()
  @Access.admin()
  @ApiOperation({ summary: '电子印章登记簿（区级管理员）' })
  @ApiOkResponse({ type: SealPageDto })
  async list(@Query() query: SealQueryDto): Promise<SealPageDto> {
    const page = await this.seals.list({
      townId: query.town,
      committeeId: query.committee,
      status: query.status,
      search: query.q?.trim() || undefined,
      offset: query.offset ?? 0,
      limit: query.limit ?? 50,
    });
    return { total: page.total, items: page.items.map(sealDto) };
  }

  @Get(':id')
  @Access.admin()
  @ApiOperation({ summary: '电子印章详情' })
  @ApiOkResponse({ type: SealDto })
  async get(@Param() params: SealIdParams): Promise<SealDto> {
    return sealDto(await this.seals.get(params.id));
  }

  @Get(':id/uses')
  @Access.admin()
  @ApiOperation({ summary: '电子印章用印记录：该印章签署过的每一份证明' })
  @ApiOkResponse({ type: SealUsePageDto })
  async uses(@Param() params: SealIdParams, @Query() query: PageQueryDto): Promise<SealUsePageDto> {
    await this.seals.get(params.id);
    return this.certificates.usesOfSeal(params.id, query.offset ?? 0, query.limit ?? 50);
  }
}

function sealDto(seal: SealEntity): SealDto {
  return {
    id: seal.id,
    code: seal.code,
    name: seal.name,
    committeeId: seal.organizationId,
    committeeCode: seal.organization?.code ?? '',
    status: seal.status,
    statusReason: seal.statusReason,
    certificateSerial: seal.serialHex,
    notBefore: seal.notBefore,
    notAfter: seal.notAfter,
    algorithm: seal.key?.algorithm ?? '',
  };
}
