import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ApplicationsService,
  type ApplicationPage,
  type ApplicationView,
  type MaterialView,
  type RequestContext,
} from '@zhengming/applications';
import { IdentityErrorCode, IdentityException, StaffRole, type PersonPrincipal } from '@zhengming/identity';
import { Access, CurrentPerson } from '../auth/access';
import { NoQuery } from '../http/no-query.dto';
import { HttpErrorCode, HttpErrorException } from '../http/http-error';
import {
  ApplicationDto,
  ApplicationIdParams,
  ApplicationPageDto,
  ApproveBody,
  CreateApplicationBody,
  ListApplicationsQuery,
  MaterialDto,
  MaterialIdParams,
  RejectBody,
  SupplementRequestBody,
  UpdateFormBody,
} from './application.dto';
import { readMaterialUpload } from './material-upload';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  description: '8–128 位字母、数字、- 或 _；同一键重复提交同一请求只生效一次',
};

@ApiTags('applications')
@Controller('api/applications')
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post()
  @Access.signedIn()
  @ApiOperation({ summary: '新建申请（草稿）；必须带 Idempotency-Key' })
  @ApiHeader({ ...IDEMPOTENCY_HEADER, required: true })
  @ApiCreatedResponse({ type: ApplicationDto })
  create(
    @Body() body: CreateApplicationBody,
    @Query(NoQuery) _query: object,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApplicationView> {
    return this.applications.createDraft(context(person, request, key), body);
  }

  @Get()
  @Access.signedIn()
  @ApiOperation({ summary: '我的申请（mine=true）或本机构待办（queue=true，最早提交的在前）' })
  @ApiOkResponse({ type: ApplicationPageDto })
  list(@Query() query: ListApplicationsQuery, @CurrentPerson() person: PersonPrincipal): Promise<ApplicationPage> {
    if ((query.mine === 'true') === (query.queue === 'true')) {
      throw new HttpErrorException(HttpErrorCode.ValidationFailed, {
        fields: [{ field: 'mine', problems: ['exactly one of mine=true or queue=true is required'] }],
      });
    }
    if (query.mine === 'true') {
      if (query.status || query.committee) {
        throw new HttpErrorException(HttpErrorCode.ValidationFailed, {
          fields: [{ field: 'status', problems: ['status and committee filter the staff queue only'] }],
        });
      }
      return this.applications.listMine(person, query.cursor, query.limit);
    }
    if (person.roles.length === 0) throw new IdentityException(IdentityErrorCode.Forbidden, { queue: true });
    return this.applications.queue(person, {
      status: query.status,
      committeeCode: query.committee,
      cursor: query.cursor,
      limit: query.limit,
    });
  }

  @Get(':id')
  @Access.signedIn()
  @ApiOperation({ summary: '查看申请（申请人本人，或受理机构及其上级的工作人员）' })
  @ApiOkResponse({ type: ApplicationDto })
  get(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
  ): Promise<ApplicationView> {
    return this.applications.get(person, params.id);
  }

  @Put(':id')
  @Access.signedIn()
  @ApiOperation({ summary: '保存表单（草稿或补齐材料时）' })
  @ApiOkResponse({ type: ApplicationDto })
  update(
    @Param() params: ApplicationIdParams,
    @Body() body: UpdateFormBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApplicationView> {
    return this.applications.updateForm(context(person, request), params.id, body.form);
  }

  @Post(':id/materials')
  @Access.signedIn()
  @ApiOperation({ summary: '上传一份材料（multipart：先 key 字段，再 file 文件）' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['key', 'file'],
      properties: { key: { type: 'string', example: 'applicant-id-card' }, file: { type: 'string', format: 'binary' } },
    },
  })
  @ApiCreatedResponse({ type: MaterialDto })
  async upload(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<MaterialView> {
    const upload = await readMaterialUpload(request);
    return this.applications.addMaterial(context(person, request), params.id, upload);
  }

  @Delete(':id/materials/:materialId')
  @HttpCode(204)
  @Access.signedIn()
  @ApiOperation({ summary: '删除本轮上传的一份材料' })
  @ApiNoContentResponse()
  async removeMaterial(
    @Param() params: MaterialIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.applications.removeMaterial(context(person, request), params.id, params.materialId);
  }

  @Get(':id/materials/:materialId/content')
  @Access.signedIn()
  @ApiOperation({ summary: '材料文件（在浏览器中预览）' })
  async content(
    @Param() params: MaterialIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const file = await this.applications.materialContent(person, params.id, params.materialId);
    void reply
      .header('content-type', file.contentType)
      .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(file.fileName)}`)
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff')
      // A stored file is shown, never run: no scripts, even if a PDF viewer would allow them.
      .header('content-security-policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox");
    return file.bytes;
  }

  @Post(':id/submit')
  @HttpCode(200)
  @Access.signedIn()
  @ApiOperation({ summary: '提交申请' })
  @ApiHeader({ ...IDEMPOTENCY_HEADER, required: false })
  @ApiOkResponse({ type: ApplicationDto })
  submit(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApplicationView> {
    return this.applications.submit(context(person, request, key), params.id);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Access.signedIn()
  @ApiOperation({ summary: '撤回申请（审批通过前）' })
  @ApiOkResponse({ type: ApplicationDto })
  withdraw(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApplicationView> {
    return this.applications.withdraw(context(person, request, key), params.id);
  }

  @Post(':id/resubmit')
  @HttpCode(200)
  @Access.signedIn()
  @ApiOperation({ summary: '补齐材料后重新提交' })
  @ApiOkResponse({ type: ApplicationDto })
  resubmit(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApplicationView> {
    return this.applications.resubmit(context(person, request, key), params.id);
  }

  @Post(':id/accept')
  @HttpCode(200)
  @Access.staff(StaffRole.Clerk, StaffRole.Approver)
  @ApiOperation({ summary: '受理（本村居经办人或审批人）' })
  @ApiOkResponse({ type: ApplicationDto })
  accept(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApplicationView> {
    return this.applications.accept(context(person, request, key), params.id);
  }

  @Post(':id/supplement-requests')
  @HttpCode(200)
  @Access.staff(StaffRole.Clerk, StaffRole.Approver)
  @ApiOperation({ summary: '要求补齐材料：逐项写明缺少或有误的材料及原因；办理时限暂停' })
  @ApiOkResponse({ type: ApplicationDto })
  requestSupplement(
    @Param() params: ApplicationIdParams,
    @Body() body: SupplementRequestBody,
    @Query(NoQuery) _query: object,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApplicationView> {
    return this.applications.requestSupplement(context(person, request, key), params.id, body);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Access.staff(StaffRole.Clerk, StaffRole.Approver)
  @ApiOperation({ summary: '不予通过（写明原因，申请人可见）' })
  @ApiOkResponse({ type: ApplicationDto })
  reject(
    @Param() params: ApplicationIdParams,
    @Body() body: RejectBody,
    @Query(NoQuery) _query: object,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApplicationView> {
    return this.applications.reject(context(person, request, key), params.id, body.reason);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Access.staff(StaffRole.Approver)
  @ApiOperation({ summary: '审批通过（仅本村居审批人）；随后出具电子证明（出证中）' })
  @ApiOkResponse({ type: ApplicationDto })
  approve(
    @Param() params: ApplicationIdParams,
    @Body() body: ApproveBody,
    @Query(NoQuery) _query: object,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<ApplicationView> {
    return this.applications.approve(context(person, request, key), params.id, body.comment);
  }
}

function context(person: PersonPrincipal, request: FastifyRequest, idempotencyKey?: string): RequestContext {
  return { principal: person, requestId: request.id, idempotencyKey };
}
