import { Module, type DynamicModule } from '@nestjs/common';
import { ReportsService } from './reports.service';
import { REPORT_REFRESH_OPTIONS, ReportRefreshService, type ReportRefreshOptions } from './report-refresh.service';

@Module({})
export class ReportsModule {
  /** `periodic`: this process keeps the roll-ups fresh (the worker, or the API when no worker runs). */
  static forRoot(options: ReportRefreshOptions): DynamicModule {
    return {
      module: ReportsModule,
      providers: [ReportRefreshService, ReportsService, { provide: REPORT_REFRESH_OPTIONS, useValue: options }],
      exports: [ReportRefreshService, ReportsService],
    };
  }
}
