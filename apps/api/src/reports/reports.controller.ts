import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import type { EChartsOption } from 'echarts';
import type { FastifyReply } from 'fastify';
import { shanghaiDate } from '@zhengming/applications';
import type { PersonPrincipal } from '@zhengming/identity';
import { StaffRole } from '@zhengming/identity';
import {
  REPORT_FORMATS,
  REPORT_IMAGE_FONT_FAMILY,
  ReportsService,
  committeesTables,
  efficiencyTables,
  issuanceTables,
  renderChartSvg,
  reportImageOption,
  svgToPng,
  toCsv,
  toXlsx,
  type ReportFormat,
  type ReportScope,
  type ReportTable,
} from '@zhengming/reports';
import { Access, CurrentPerson } from '../auth/access';

export class ReportQueryDto {
  @ApiPropertyOptional({ example: '2026-01-01', description: '开始日期（含，北京时间）；缺省为十二个月前的月初' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'from must be a date YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-31', description: '结束日期（含，北京时间）；缺省为今天' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'to must be a date YYYY-MM-DD' })
  to?: string;

  @ApiPropertyOptional({ example: '440118001', description: '镇街代码' })
  @IsOptional()
  @Matches(/^\d{9}$/, { message: 'town must be a 9-digit town code' })
  town?: string;

  @ApiPropertyOptional({ example: '440118001001', description: '村（居）委会代码' })
  @IsOptional()
  @Matches(/^\d{12}$/, { message: 'committee must be a 12-digit committee code' })
  committee?: string;

  @ApiPropertyOptional({ example: 'weather', description: '证明类型代码' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, { message: 'type must be a certificate type code' })
  type?: string;

  @ApiPropertyOptional({ enum: REPORT_FORMATS, default: 'json' })
  @IsOptional()
  @IsIn(REPORT_FORMATS)
  format?: ReportFormat;
}

const CONTENT_TYPES: Record<Exclude<ReportFormat, 'json'>, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  svg: 'image/svg+xml; charset=utf-8',
  png: 'image/png',
};

const REPORT_STAFF = [StaffRole.Clerk, StaffRole.Approver, StaffRole.Supervisor, StaffRole.Admin];

/**
 * The three statistics reports. Staff only; the service narrows every report to what the caller
 * reaches (the district, a town, a committee) and refuses filters beyond it.
 */
@ApiTags('reports')
@Controller('api/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('issuance')
  @Access.staff(...REPORT_STAFF)
  @ApiOperation({ summary: '开具情况：各类证明按月（短区间按周或日）的申请数与出具数、合计与同比' })
  @ApiProduces('application/json', CONTENT_TYPES.csv, CONTENT_TYPES.xlsx, CONTENT_TYPES.svg, CONTENT_TYPES.png)
  @ApiOkResponse({ description: 'format=json 时为报表 JSON；csv、xlsx 为下载文件；svg、png 为报表图表' })
  async issuance(
    @Query() query: ReportQueryDto,
    @CurrentPerson() person: PersonPrincipal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const report = await this.reports.issuance(await this.scope(person, query));
    return this.answer(
      reply,
      query,
      'issuance',
      report,
      () => issuanceTables(report),
      () => reportImageOption('issuance', report, REPORT_IMAGE_FONT_FAMILY),
    );
  }

  @Get('committees')
  @Access.staff(...REPORT_STAFF)
  @ApiOperation({ summary: '村居分布与用印：各镇街、各村居的出具数与用印次数，出具覆盖率与未出具的村居' })
  @ApiProduces('application/json', CONTENT_TYPES.csv, CONTENT_TYPES.xlsx, CONTENT_TYPES.svg, CONTENT_TYPES.png)
  @ApiOkResponse({ description: 'format=json 时为报表 JSON；csv、xlsx 为下载文件；svg、png 为报表图表' })
  async committees(
    @Query() query: ReportQueryDto,
    @CurrentPerson() person: PersonPrincipal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const report = await this.reports.committees(await this.scope(person, query));
    return this.answer(
      reply,
      query,
      'committees',
      report,
      () => committeesTables(report),
      () => reportImageOption('committees', report, REPORT_IMAGE_FONT_FAMILY),
    );
  }

  @Get('efficiency')
  @Access.staff(...REPORT_STAFF)
  @ApiOperation({
    summary: '办理效率与社会化应用：办理时长中位数与P90、按时办结率、补正率、不予通过率、各类机构核验量',
  })
  @ApiProduces('application/json', CONTENT_TYPES.csv, CONTENT_TYPES.xlsx, CONTENT_TYPES.svg, CONTENT_TYPES.png)
  @ApiOkResponse({ description: 'format=json 时为报表 JSON；csv、xlsx 为下载文件；svg、png 为报表图表' })
  async efficiency(
    @Query() query: ReportQueryDto,
    @CurrentPerson() person: PersonPrincipal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const report = await this.reports.efficiency(await this.scope(person, query));
    return this.answer(
      reply,
      query,
      'efficiency',
      report,
      () => efficiencyTables(report),
      () => reportImageOption('efficiency', report, REPORT_IMAGE_FONT_FAMILY),
    );
  }

  private scope(person: PersonPrincipal, query: ReportQueryDto): Promise<ReportScope> {
    const { from, to, town, committee, type } = query;
    return this.reports.scope(person, { from, to, town, committee, type }, shanghaiDate(new Date()));
  }

  private async answer(
    reply: FastifyReply,
    query: ReportQueryDto,
    name: string,
    report: { range: { from: string; to: string } },
    tables: () => ReportTable[],
    chart: () => EChartsOption,
  ): Promise<unknown> {
    void reply.header('cache-control', 'private, no-store');
    const format = query.format ?? 'json';
    if (format === 'json') return report;
    const file = `${name}-${report.range.from}-${report.range.to}.${format}`;
    void reply
      .header('content-type', CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="${file}"`)
      .header('x-content-type-options', 'nosniff');
    if (format === 'csv') return toCsv(tables());
    if (format === 'xlsx') return toXlsx(tables());
    const svg = renderChartSvg(chart());
    // An SVG is a document that could carry script: served as a download, sandboxed, scripts off.
    void reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    return format === 'svg' ? svg : svgToPng(svg);
  }
}
