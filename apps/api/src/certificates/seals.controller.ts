import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CertificatesService } from '@zhengming/certificates';
import { StaffRole, type PersonPrincipal } from '@zhengming/identity';
import { PkiService, SealLifecycleService, SealsService, type SealEntity } from '@zhengming/signing';
import { Access, CurrentPerson } from '../auth/access';
import { NoQuery } from '../http/no-query.dto';
import {
  PageQueryDto,
  SealCertificateDto,
  SealDto,
  SealIdParams,
  SealKeyRotationBody,
  SealPageDto,
  SealQueryDto,
  SealReinstatementBody,
  SealRevocationBody,
  SealSuspensionBody,
  SealUsePageDto,
} from './certificate.dto';

@ApiTags('seals')
@Controller('api/seals')
export class SealsController {
  constructor(
    private readonly seals: SealsService,
    private readonly lifecycle: SealLifecycleService,
    private readonly pki: PkiService,
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

  @Get(':id/certificates')
  @Access.admin()
  @ApiOperation({ summary: '电子印章的全部证书：当前证书及更新、换钥前的旧证书' })
  @ApiOkResponse({ type: [SealCertificateDto] })
  async certificatesOf(@Param() params: SealIdParams): Promise<SealCertificateDto[]> {
    await this.seals.get(params.id);
    return (await this.seals.certificatesOf(params.id)).map((certificate) => ({
      serial: certificate.serialHex,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      current: certificate.replacedAt === null,
      replacedAt: certificate.replacedAt,
      crlUrl: this.pki.crlUrl(certificate.issuerId) ?? '',
    }));
  }

  @Post(':id/suspension')
  @HttpCode(200)
  @Access.staff(StaffRole.Approver, StaffRole.Admin)
  @ApiOperation({ summary: '暂停使用电子印章（本村居审批人或区级管理员；暂停期间不能出具证明）' })
  @ApiOkResponse({ type: SealDto })
  async suspend(
    @Param() params: SealIdParams,
    @Body() body: SealSuspensionBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<SealDto> {
    await this.lifecycle.suspend({ principal: person, requestId: request.id }, params.id, body.reason);
    return sealDto(await this.seals.get(params.id));
  }

  @Post(':id/reinstatement')
  @HttpCode(200)
  @Access.admin()
  @ApiOperation({ summary: '恢复使用已暂停的电子印章（区级管理员；等待中的出证随即继续）' })
  @ApiOkResponse({ type: SealDto })
  async reinstate(
    @Param() params: SealIdParams,
    @Body() body: SealReinstatementBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<SealDto> {
    await this.lifecycle.reinstate({ principal: person, requestId: request.id }, params.id, body.reason);
    return sealDto(await this.seals.get(params.id));
  }

  @Post(':id/revocation')
  @HttpCode(200)
  @Access.admin()
  @ApiOperation({ summary: '注销电子印章（区级管理员，须说明原因；不可恢复，证书列入吊销列表）' })
  @ApiOkResponse({ type: SealDto })
  async revoke(
    @Param() params: SealIdParams,
    @Body() body: SealRevocationBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<SealDto> {
    await this.lifecycle.revoke(
      { principal: person, requestId: request.id },
      params.id,
      body.reason,
      body.code ?? 'unspecified',
    );
    return sealDto(await this.seals.get(params.id));
  }

  @Post(':id/successor')
  @HttpCode(201)
  @Access.admin()
  @ApiOperation({
    summary: '为已注销的村（居）委会印章启用新一代印章（区级管理员；等待出具的证明随即继续）',
  })
  @ApiCreatedResponse({ type: SealDto })
  async successor(
    @Param() params: SealIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<SealDto> {
    const successor = await this.lifecycle.issueSuccessor({ principal: person, requestId: request.id }, params.id);
    return sealDto(await this.seals.get(successor.id));
  }

  @Post(':id/certificate-renewal')
  @HttpCode(200)
  @Access.admin()
  @ApiOperation({ summary: '更新电子印章证书（同一密钥，新证书；旧证书保留）' })
  @ApiOkResponse({ type: SealDto })
  async renew(
    @Param() params: SealIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<SealDto> {
    await this.lifecycle.renew({ principal: person, requestId: request.id }, params.id);
    return sealDto(await this.seals.get(params.id));
  }

  @Post(':id/key-rotation')
  @HttpCode(200)
  @Access.admin()
  @ApiOperation({ summary: '更换电子印章密钥（新密钥和新证书；已签文件仍然有效）' })
  @ApiOkResponse({ type: SealDto })
  async rotateKey(
    @Param() params: SealIdParams,
    @Body() body: SealKeyRotationBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<SealDto> {
    await this.lifecycle.rotateKey({ principal: person, requestId: request.id }, params.id, body.revokePrevious);
    return sealDto(await this.seals.get(params.id));
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
    statusChangedAt: seal.statusChangedAt,
    certificateSerial: seal.serialHex,
    notBefore: seal.notBefore,
    notAfter: seal.notAfter,
    algorithm: seal.key?.algorithm ?? '',
  };
}
