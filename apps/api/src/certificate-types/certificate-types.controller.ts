import { Access } from '../auth/access';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CertificateTypesService } from '@zhengming/certificate-types';
import {
  CertificateTypeCodeParams,
  CertificateTypeDto,
  CertificateTypeListDto,
  mapCertificateType,
} from './certificate-type.dto';
import { NoQuery } from '../http/no-query.dto';

@ApiTags('certificate-types')
@Access.public()
@Controller('api/certificate-types')
export class CertificateTypesController {
  constructor(private readonly types: CertificateTypesService) {}

  @Get()
  @ApiOperation({
    summary: '可在线申请的证明事项（各事项的当前版本，含表单与材料要求）',
  })
  @ApiOkResponse({ type: CertificateTypeListDto })
  async list(@Query(NoQuery) _query: object): Promise<CertificateTypeListDto> {
    return { items: (await this.types.listActive()).map(mapCertificateType) };
  }

  @Get(':code')
  @ApiOperation({ summary: '一个证明事项的当前版本' })
  @ApiOkResponse({ type: CertificateTypeDto })
  async get(@Param() params: CertificateTypeCodeParams, @Query(NoQuery) _query: object): Promise<CertificateTypeDto> {
    return mapCertificateType(await this.types.getActive(params.code));
  }
}
