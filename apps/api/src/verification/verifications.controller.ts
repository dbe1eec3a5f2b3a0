import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VERIFICATION_CONFIG, type VerificationConfig } from '@zhengming/config';
import { CertificateErrorCode, CertificateException, CertificatesService } from '@zhengming/certificates';
import { StaffRole, type PersonPrincipal, type Principal } from '@zhengming/identity';
import {
  PdfVerificationService,
  PresentationsService,
  VerificationService,
  verifierOf,
  type VerificationMethod,
} from '@zhengming/verification';
import { Access, CurrentPerson, CurrentPrincipal } from '../auth/access';
import { RateLimits } from '../auth/rate-limits';
import { NoQuery } from '../http/no-query.dto';
import { ApplicationIdParams } from '../applications/application.dto';
import { CertificateDto, CertificateIdParams, SealChainQuery, SealIdParams } from '../certificates/certificate.dto';
import { certificateDtoOf } from '../certificates/certificates.controller';
import { readPdfUpload } from './pdf-upload';
import {
  certificateDto,
  chainUrlOf,
  HolderLogPageDto,
  HolderLogQuery,
  PdfVerdictDto,
  PresentationDto,
  RevocationBody,
  TrustListDto,
  VerdictDto,
  ApiVerificationInput,
  verificationNumber,
  verificationQuery,
  type VerificationQuery,
} from './verification.dto';
import { ZodValidationPipe } from '../http/zod-validation.pipe';

export const NUMBER_PIPE = new ZodValidationPipe(verificationNumber, 'number');
export const QUERY_PIPE = new ZodValidationPipe(verificationQuery);

const METHOD_NAMES: Readonly<Record<VerificationMethod, string>> = {
  qr: '扫码核验',
  manual: '输入编号核验',
  api: '机构接口核验',
  pdf: 'PDF 文件核验',
};

@ApiTags('verification')
@Controller('api')
export class VerificationsController {
  constructor(
    private readonly verification: VerificationService,
    private readonly pdfs: PdfVerificationService,
    private readonly presentations: PresentationsService,
    private readonly certificates: CertificatesService,
    private readonly limits: RateLimits,
    @Inject(VERIFICATION_CONFIG) private readonly config: VerificationConfig,
  ) {}

  @Get('verifications/:number')
  @Access.publicOrVerifier()
  @ApiOperation({
    summary: '核验证明：证明编号 + 校验码（扫码页面、机构接口共用）',
    description:
      '编号不存在与校验码错误的回答完全相同（status: unknown）。匿名调用按客户端地址限流，持 X-API-Key 的机构按密钥限流。',
  })
  @ApiVerificationInput()
  @ApiOkResponse({ type: VerdictDto })
  async verify(
    @Param('number', NUMBER_PIPE) number: string,
    @Query(QUERY_PIPE) query: VerificationQuery,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<VerdictDto> {
    const anonymous = principal.kind !== 'institution';
    if (anonymous) await this.limits.consumeAnonymousCheck(request.ip);
    const method: VerificationMethod = anonymous ? (query.source ?? 'manual') : 'api';
    const verdict = await this.verification.verify(number, query.code ?? '', verifierOf(principal), method);
    if (anonymous && verdict.status === 'unknown') await this.limits.chargeMiss(request.ip);
    return {
      status: verdict.status,
      checkedAt: verdict.checkedAt,
      certificate: certificateDto(verdict.certificate),
      chainUrl: chainUrlOf(verdict.certificate),
    };
  }

  @Get('verifications/:number/document.pdf')
  @Access.publicOrVerifier()
  @ApiOperation({
    summary: '凭证明编号和校验码下载已签章的证明 PDF（供接收证明的单位下载原件）',
    description: '编号或校验码不对时 404 CERTIFICATE_NOT_FOUND；匿名调用与核验共用限流。',
  })
  @ApiVerificationInput()
  @ApiProduces('application/pdf')
  async document(
    @Param('number', NUMBER_PIPE) number: string,
    @Query(QUERY_PIPE) query: VerificationQuery,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const anonymous = principal.kind !== 'institution';
    if (anonymous) await this.limits.consumeAnonymousCheck(request.ip);
    const document = await this.verification.document(number, query.code ?? '');
    if (!document) {
      if (anonymous) await this.limits.chargeMiss(request.ip);
      throw new CertificateException(CertificateErrorCode.NotFound, {});
    }
    void reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="${document.number}.pdf"`)
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff');
    return document.bytes;
  }

  @Post('verifications/pdf')
  @HttpCode(200)
  @Access.publicOrVerifier()
  @ApiOperation({
    summary: '核验 PDF 文件：逐个签名校验、覆盖范围、证书链、与出具记录比对、当前状态',
    description: 'multipart/form-data，字段 file。非 PDF 415，损坏或加密 400，超过上限 413。',
  })
  @ApiConsumes('multipart/form-data')
  @ApiOkResponse({ type: PdfVerdictDto })
  async verifyPdf(
    @Query(NoQuery) _query: object,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<PdfVerdictDto> {
    if (principal.kind !== 'institution') await this.limits.consumeAnonymousCheck(request.ip);
    const file = await readPdfUpload(request, this.config.pdfMaxBytes);
    const verdict = await this.pdfs.check(file, verifierOf(principal));
    return {
      ...verdict,
      certificate: certificateDto(verdict.certificate),
      chainUrl: chainUrlOf(verdict.certificate),
    };
  }

  @Get('trust-list')
  @Access.public()
  @ApiOperation({ summary: '信任列表：出示码验证公钥（JWKS，含密钥编号、有效期与轮换）及区级 CA 证书' })
  @ApiOkResponse({ type: TrustListDto })
  async trustList(
    @Query(NoQuery) _query: object,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TrustListDto> {
    void reply.header('cache-control', 'public, max-age=300');
    return this.presentations.trustList();
  }

  @Get('trust-list/seals/:id/chain.pem')
  @Access.public()
  @ApiOperation({ summary: '下载印章证书链（印章证书、签发 CA、根证书，PEM）' })
  @ApiProduces('application/x-pem-file')
  async sealChain(
    @Param() params: SealIdParams,
    @Query() query: SealChainQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const pem = await this.presentations.sealChainPem(params.id, query.serial);
    if (!pem) throw new CertificateException(CertificateErrorCode.NotFound, { sealId: params.id });
    void reply
      .header('content-type', 'application/x-pem-file')
      .header('content-disposition', `attachment; filename="seal-chain-${params.id}.pem"`);
    return pem;
  }

  @Post('applications/:id/certificate/presentations')
  @Access.signedIn()
  @ApiOperation({ summary: '持证人生成出示码（签名令牌，几分钟后失效）' })
  @ApiCreatedResponse({ type: PresentationDto })
  async present(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
  ): Promise<PresentationDto> {
    return this.presentations.present(person, params.id);
  }

  @Get('me/verifications')
  @Access.signedIn()
  @ApiOperation({ summary: '核验记录：我的证明被谁、何时、以何种方式核验' })
  @ApiOkResponse({ type: HolderLogPageDto })
  async holderLog(@Query() query: HolderLogQuery, @CurrentPerson() person: PersonPrincipal): Promise<HolderLogPageDto> {
    const page = await this.verification.forHolder(person.personId, query.offset ?? 0, query.limit ?? 20);
    return { total: page.total, items: page.items.map((item) => ({ ...item, methodName: METHOD_NAMES[item.method] })) };
  }

  @Post('certificates/:id/revocation')
  @HttpCode(200)
  @Access.staff(StaffRole.Approver, StaffRole.Admin)
  @ApiOperation({ summary: '撤销证明（本村居审批人或区级管理员，须说明原因；核验立即显示已撤销）' })
  @ApiOkResponse({ type: CertificateDto })
  async revoke(
    @Param() params: CertificateIdParams,
    @Body() body: RevocationBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<CertificateDto> {
    const summary = await this.certificates.revoke(
      { principal: person, requestId: request.id },
      params.id,
      body.reason,
    );
    return certificateDtoOf(summary);
  }
}
