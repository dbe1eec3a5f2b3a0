import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrganizationsService } from '@zhengming/organizations';
import { Access } from '../auth/access';
import { CommitteeLookupDto, CommitteeLookupQuery } from './application.dto';

@ApiTags('organizations')
@Controller('api/committees')
export class CommitteeLookupController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get('lookup')
  @Access.public()
  @ApiOperation({ summary: '按地址查找受理的村（居）委会（返回候选，由申请人确认）' })
  @ApiOkResponse({ type: CommitteeLookupDto })
  async lookup(@Query() query: CommitteeLookupQuery): Promise<CommitteeLookupDto> {
    const committees = await this.organizations.lookupCommitteesByAddress(query.address);
    return {
      candidates: committees.map((c) => ({
        code: c.code,
        name: c.name,
        town: { code: c.parent?.code ?? '', name: c.parent?.name ?? '' },
      })),
    };
  }
}
