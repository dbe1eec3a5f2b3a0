export * from './report.entities';
export * from './report-refresh.service';
export * from './reports.module';
