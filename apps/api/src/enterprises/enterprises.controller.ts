import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  EnterpriseErrorCode,
  EnterpriseException,
  EnterpriseSealsService,
  SealUseService,
  type EnterpriseActor,
  type SealUser,
} from '@zhengming/enterprises';
import { hasRole, StaffRole, type PersonPrincipal, type Principal } from '@zhengming/identity';
import { Access, CurrentPerson, CurrentPrincipal } from '../auth/access';
import { HttpErrorCode, HttpErrorException } from '../http/http-error';
import { NoQuery } from '../http/no-query.dto';
import { readPdfUploadWithFields } from '../verification/pdf-upload';
import {
  AddSealUserBody,
  ApiKeyBody,
  ApiKeyCreatedDto,
  ApiKeyParams,
  EnterpriseApplicationBody,
  EnterpriseApplicationDto,
  EnterpriseApplicationPageDto,
  EnterpriseApplicationQuery,
  EnterpriseSealDto,
  EnterpriseSealListDto,
  IdParams,
  RejectEnterpriseApplicationBody,
  SealUsePageDto,
  SealUsePageQuery,
  SealUserParams,
} from './enterprise.dto';

function actorOf(person: PersonPrincipal, request: FastifyRequest): EnterpriseActor {
  return { personId: person.personId, isAdmin: hasRole(person, [StaffRole.Admin]), requestId: request.id };
}

@ApiTags('enterprise-seals')
@Controller('api')
export class EnterprisesController {
  constructor(
    private readonly enterpriseSeals: EnterpriseSealsService,
    private readonly sealUse: SealUseService,
  ) {}

  @Post('enterprise-seal-applications')
  @Access.signedIn()
  @ApiOperation({
    summary: '企业电子印章制发申请（法定代表人经可信认证平台登录后提交）',
    description: '申请人即法定代表人本人；统一社会信用代码须为企业（91、92、93 开头）并通过两级校验。',
  })
  @ApiCreatedResponse({ type: EnterpriseApplicationDto })
  apply(
    @Body() body: EnterpriseApplicationBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<EnterpriseApplicationDto> {
    return this.enterpriseSeals.apply(body, actorOf(person, request));
  }

  @Get('enterprise-seal-applications')
  @Access.signedIn()
  @ApiOperation({ summary: '印章申请：区级管理员看全部（可按状态筛选待审核），其他人看本人提交的' })
  @ApiOkResponse({ type: EnterpriseApplicationPageDto })
  applications(
    @Query() query: EnterpriseApplicationQuery,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<EnterpriseApplicationPageDto> {
    return this.enterpriseSeals.applications(actorOf(person, request), {
      status: query.status,
      offset: query.offset ?? 0,
      limit: query.limit ?? 50,
    });
  }

  @Get('enterprise-seal-applications/:id')
  @Access.signedIn()
  @ApiOperation({ summary: '一份印章申请（申请人本人或区级管理员）' })
  @ApiOkResponse({ type: EnterpriseApplicationDto })
  application(
    @Param() params: IdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<EnterpriseApplicationDto> {
    return this.enterpriseSeals.application(params.id, actorOf(person, request));
  }

  @Post('enterprise-seal-applications/:id/approve')
  @HttpCode(200)
  @Access.admin()
  @ApiOperation({ summary: '审核通过并制发所申请的印章（每枚印章一把密钥、一张区级 CA 签发的证书）' })
  @ApiOkResponse({ type: EnterpriseApplicationDto })
  approve(
    @Param() params: IdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<EnterpriseApplicationDto> {
    return this.enterpriseSeals.approve(params.id, actorOf(person, request));
  }

  @Post('enterprise-seal-applications/:id/reject')
  @HttpCode(200)
  @Access.admin()
  @ApiOperation({ summary: '不予制发（须说明理由）' })
  @ApiOkResponse({ type: EnterpriseApplicationDto })
  reject(
    @Param() params: IdParams,
    @Body() body: RejectEnterpriseApplicationBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<EnterpriseApplicationDto> {
    return this.enterpriseSeals.reject(params.id, body.reason, actorOf(person, request));
  }

  @Get('enterprise-seals')
  @Access.signedIn()
  @ApiOperation({ summary: '企业电子印章：法定代表人看本企业的，用章人看可用的，区级管理员看全部' })
  @ApiOkResponse({ type: EnterpriseSealListDto })
  async seals(
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<EnterpriseSealListDto> {
    return { items: await this.enterpriseSeals.list(actorOf(person, request)) };
  }

  @Get('enterprise-seals/:id')
  @Access.signedIn()
  @ApiOperation({ summary: '一枚企业电子印章（法定代表人、用章人、区级管理员）' })
  @ApiOkResponse({ type: EnterpriseSealDto })
  seal(
    @Param() params: IdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<EnterpriseSealDto> {
    return this.enterpriseSeals.get(params.id, actorOf(person, request));
  }

  @Post('enterprise-seals/:id/users')
  @Access.signedIn()
  @ApiOperation({ summary: '法定代表人授权用章人（按姓名与身份证号，未登录过的人先登记）' })
  @ApiCreatedResponse({ type: EnterpriseSealDto })
  addUser(
    @Param() params: IdParams,
    @Body() body: AddSealUserBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<EnterpriseSealDto> {
    return this.enterpriseSeals.addUser(params.id, body, actorOf(person, request));
  }

  @Delete('enterprise-seals/:id/users/:userId')
  @HttpCode(204)
  @Access.signedIn()
  @ApiOperation({ summary: '法定代表人取消用章授权' })
  async removeUser(
    @Param() params: SealUserParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.enterpriseSeals.removeUser(params.id, params.userId, actorOf(person, request));
  }

  @Post('enterprise-seals/:id/uses')
  @HttpCode(200)
  @Access.signedInOrEnterprise()
  @ApiOperation({
    summary: '用章：上传 PDF，在指定页的指定位置加盖该印章，返回签章后的 PDF（PAdES，可见印章）',
    description:
      'multipart/form-data：file（PDF）、page（页码，从 1 起）、x、y（印章中心，单位 pt，按页面显示方向自左下角起；旋转的页面按显示方向计，印章正向盖上）。' +
      '用章人登录后调用；企业自己的系统以企业 API 密钥（X-API-Key: zes_…）调用，可用本企业的全部印章。' +
      '响应头 X-Seal-Use-Id 是用章记录的编号。',
  })
  @ApiConsumes('multipart/form-data')
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: '签章后的 PDF' })
  async use(
    @Param() params: IdParams,
    @Query(NoQuery) _query: object,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const user: SealUser =
      principal.kind === 'enterprise'
        ? { kind: 'system', enterpriseId: principal.enterpriseId, keyId: principal.keyId }
        : { kind: 'person', personId: (principal as PersonPrincipal).personId };
    await this.sealUse.authorize(params.id, user);
    const { file, fields } = await readPdfUploadWithFields(request, this.sealUse.maxBytes, {
      fields: ['page', 'x', 'y'] as const,
      tooLarge: (maxBytes) => new EnterpriseException(EnterpriseErrorCode.UsePdfTooLarge, { maxBytes }),
    });
    const placement = {
      page: numberField(fields.page, 'page', true),
      x: numberField(fields.x, 'x', false),
      y: numberField(fields.y, 'y', false),
    };
    const result = await this.sealUse.use(params.id, user, file, placement);
    void reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', 'attachment; filename="sealed.pdf"')
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff')
      .header('x-seal-use-id', result.useId);
    return result.pdf;
  }

  @Get('enterprise-seals/:id/uses')
  @Access.signedIn()
  @ApiOperation({ summary: '用章记录（法定代表人、区级管理员）：谁、何时、文件 SHA-256、页码与位置' })
  @ApiOkResponse({ type: SealUsePageDto })
  uses(
    @Param() params: IdParams,
    @Query() query: SealUsePageQuery,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<SealUsePageDto> {
    return this.sealUse.uses(params.id, actorOf(person, request), {
      offset: query.offset ?? 0,
      limit: query.limit ?? 50,
    });
  }

  @Post('enterprises/:id/api-keys')
  @Access.signedIn()
  @ApiOperation({ summary: '法定代表人为企业系统创建用章 API 密钥（只显示一次）' })
  @ApiCreatedResponse({ type: ApiKeyCreatedDto })
  async createKey(
    @Param() params: IdParams,
    @Body() body: ApiKeyBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApiKeyCreatedDto> {
    const { row, key } = await this.enterpriseSeals.createApiKey(params.id, body.label, actorOf(person, request));
    return { id: row.id, key, prefix: row.prefix };
  }

  @Delete('enterprises/:id/api-keys/:keyId')
  @HttpCode(204)
  @Access.signedIn()
  @ApiOperation({ summary: '法定代表人吊销企业 API 密钥' })
  async revokeKey(
    @Param() params: ApiKeyParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.enterpriseSeals.revokeApiKey(params.id, params.keyId, actorOf(person, request));
  }
}

/** A multipart text field as a number: required, finite, an integer where asked, within ±100,000. */
function numberField(value: string | undefined, field: string, integer: boolean): number {
  const parsed = value !== undefined && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed) || (integer && !Number.isInteger(parsed)) || Math.abs(parsed) > 100_000) {
    throw new HttpErrorException(HttpErrorCode.ValidationFailed, {
      fields: [{ field, problems: [`${field} must be ${integer ? 'an integer' : 'a number'} (points)`] }],
    });
  }
  return parsed;
}
