import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CertificatesService, type CertificateSummary } from '@zhengming/certificates';
import type { PersonPrincipal } from '@zhengming/identity';
import { Access, CurrentPerson } from '../auth/access';
import { NoQuery } from '../http/no-query.dto';
import { ApplicationIdParams } from '../applications/application.dto';
import { CertificateDto } from './certificate.dto';

export function certificateDtoOf(summary: CertificateSummary): CertificateDto {
  return {
    id: summary.id,
    number: summary.number,
    status: summary.status,
    state: summary.state,
    revokedAt: summary.revokedAt,
    revocationReason: summary.revocationReason,
    typeName: summary.typeName,
    committeeName: summary.committeeName,
    issuedAt: summary.issuedAt,
    validUntil: summary.validUntil,
    documentSha256: summary.documentSha256 ?? '',
    documentBytes: summary.documentBytes ?? 0,
    downloadUrl: `/api/applications/${summary.applicationId}/certificate.pdf`,
  };
}

@ApiTags('certificates')
@Controller('api/applications')
export class CertificatesController {
  constructor(private readonly certificates: CertificatesService) {}

  @Get(':id/certificate')
  @Access.signedIn()
  @ApiOperation({ summary: '申请所出具的电子证明（出证后）' })
  @ApiOkResponse({ type: CertificateDto })
  async get(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
  ): Promise<CertificateDto> {
    return certificateDtoOf(await this.certificates.forApplication(person, params.id));
  }

  @Get(':id/certificate.pdf')
  @Access.signedIn()
  @ApiOperation({ summary: '下载电子证明 PDF（已签章）' })
  @ApiProduces('application/pdf')
  async download(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const document = await this.certificates.documentFor(person, params.id);
    void reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="${document.number}.pdf"`)
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff');
    return document.bytes;
  }
}
