export * from './report.entities';
export * from './report-range';
export * from './report-refresh.service';
export * from './report-export';
export * from './reports.exception';
export * from './reports.service';
export * from './reports.module';
