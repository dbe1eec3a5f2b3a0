import { Access } from '../auth/access';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrganizationsService } from '@zhengming/organizations';
import {
  ListOrganizationsQuery,
  mapOrganization,
  mapOrganizationPage,
  OrganizationCodeParams,
  OrganizationDto,
  OrganizationPageDto,
} from './organization.dto';
import { NoQuery } from '../http/no-query.dto';

@ApiTags('organizations')
@Access.public()
@Controller('api/organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get()
  @ApiOperation({ summary: '查询组织机构（区、镇街、村居委会），分页' })
  @ApiOkResponse({ type: OrganizationPageDto })
  async list(@Query() query: ListOrganizationsQuery): Promise<OrganizationPageDto> {
    return mapOrganizationPage(
      await this.organizations.list({
        parentCode: query.parent,
        kind: query.kind,
        q: query.q,
        page: query.page,
        pageSize: query.pageSize,
      }),
    );
  }

  @Get(':code')
  @ApiOperation({ summary: '按编码查看一个组织机构' })
  @ApiOkResponse({ type: OrganizationDto })
  async get(@Param() params: OrganizationCodeParams, @Query(NoQuery) _query: object): Promise<OrganizationDto> {
    return mapOrganization(await this.organizations.getByCode(params.code));
  }
}
