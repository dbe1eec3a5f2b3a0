import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CrlService } from '@zhengming/signing';
import { Access } from '../auth/access';
import { NoQuery } from '../http/no-query.dto';
import { CrlFileParams } from './certificate.dto';

/** The district PKI's public repository: what relying parties fetch without signing in. */
@ApiTags('pki')
@Controller('pki')
export class PkiController {
  constructor(private readonly crl: CrlService) {}

  @Get('crl/:file')
  @Access.public()
  @ApiOperation({
    summary: '证书吊销列表（CRL，DER）：每个签发机构一个固定地址，写在其签发的每张证书的 CRL 分发点中',
  })
  @ApiProduces('application/pkix-crl')
  async crlOf(
    @Param() params: CrlFileParams,
    @Query(NoQuery) _query: object,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const list = await this.crl.current(params.file.slice(0, -'.crl'.length).toLowerCase());
    // Caches may keep it until shortly before the next one is due, never past its nextUpdate.
    const maxAge = Math.max(0, Math.min(3600, Math.floor((list.nextUpdate.getTime() - Date.now()) / 1000)));
    void reply
      .header('content-type', 'application/pkix-crl')
      .header('content-disposition', `attachment; filename="${params.file}"`)
      .header('cache-control', `public, max-age=${maxAge}`)
      .header('last-modified', list.thisUpdate.toUTCString())
      .header('x-content-type-options', 'nosniff');
    return list.der;
  }
}
