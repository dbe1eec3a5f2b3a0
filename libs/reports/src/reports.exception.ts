import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum ReportErrorCode {
  RangeInvalid = 'REPORT_RANGE_INVALID',
  RangeTooLong = 'REPORT_RANGE_TOO_LONG',
  OrganizationUnknown = 'REPORT_ORGANIZATION_UNKNOWN',
  TypeUnknown = 'REPORT_TYPE_UNKNOWN',
  CommitteeNotInTown = 'REPORT_COMMITTEE_NOT_IN_TOWN',
  OutOfScope = 'REPORT_OUT_OF_SCOPE',
}

export const reportErrorMessages: MessageCatalogue<ReportErrorCode> = {
  [ReportErrorCode.RangeInvalid]: '统计区间无效：请使用 YYYY-MM-DD 格式的真实日期，且开始日期不晚于结束日期',
  [ReportErrorCode.RangeTooLong]: '统计区间过长：最长三年',
  [ReportErrorCode.OrganizationUnknown]: '未找到该镇街或村（居）委会',
  [ReportErrorCode.TypeUnknown]: '未找到该证明类型',
  [ReportErrorCode.CommitteeNotInTown]: '该村（居）委会不属于所选镇街',
  [ReportErrorCode.OutOfScope]: '无权查看该范围的统计数据',
};

export class ReportException extends DomainException<ReportErrorCode> {
  constructor(code: ReportErrorCode, details?: unknown) {
    super(code, reportErrorMessages[code], details);
  }
}
