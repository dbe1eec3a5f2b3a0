import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum ApplicationErrorCode {
  NotFound = 'APPLICATION_NOT_FOUND',
  StateConflict = 'APPLICATION_STATE_CONFLICT',
  AlreadyHandled = 'APPLICATION_ALREADY_HANDLED',
  CommitteeInvalid = 'APPLICATION_COMMITTEE_INVALID',
  MaterialsMissing = 'APPLICATION_MATERIALS_MISSING',
  MaterialsTooMany = 'APPLICATION_MATERIALS_TOO_MANY',
  MaterialKeyUnknown = 'APPLICATION_MATERIAL_KEY_UNKNOWN',
  MaterialNotFound = 'APPLICATION_MATERIAL_NOT_FOUND',
  MaterialLocked = 'APPLICATION_MATERIAL_LOCKED',
  SupplementInvalid = 'APPLICATION_SUPPLEMENT_INVALID',
  SupplementUnanswered = 'APPLICATION_SUPPLEMENT_UNANSWERED',
  CursorInvalid = 'APPLICATION_CURSOR_INVALID',
  NotificationNotFound = 'NOTIFICATION_NOT_FOUND',
  IdempotencyKeyRequired = 'IDEMPOTENCY_KEY_REQUIRED',
  IdempotencyKeyInvalid = 'IDEMPOTENCY_KEY_INVALID',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
}

export const applicationErrorMessages: MessageCatalogue<ApplicationErrorCode> = {
  [ApplicationErrorCode.NotFound]: '未找到该申请',
  [ApplicationErrorCode.StateConflict]: '申请当前的状态不能进行此操作',
  [ApplicationErrorCode.AlreadyHandled]: '该申请已被处理，请刷新后查看最新状态',
  [ApplicationErrorCode.CommitteeInvalid]: '所选村（居）委会不在本区，或已停止受理',
  [ApplicationErrorCode.MaterialsMissing]: '还有必需的材料未上传',
  [ApplicationErrorCode.MaterialsTooMany]: '该项材料的文件数量已达上限',
  [ApplicationErrorCode.MaterialKeyUnknown]: '该证明事项不需要这项材料',
  [ApplicationErrorCode.MaterialNotFound]: '未找到该材料',
  [ApplicationErrorCode.MaterialLocked]: '已提交审核的材料不能删除，如有错误请补充上传',
  [ApplicationErrorCode.SupplementInvalid]: '补齐材料的要求有误：请列出每项材料并写明原因',
  [ApplicationErrorCode.SupplementUnanswered]: '还有要求补齐的材料未上传',
  [ApplicationErrorCode.CursorInvalid]: '分页参数有误，请从第一页重新加载',
  [ApplicationErrorCode.NotificationNotFound]: '未找到该消息',
  [ApplicationErrorCode.IdempotencyKeyRequired]: '请求缺少 Idempotency-Key 请求头',
  [ApplicationErrorCode.IdempotencyKeyInvalid]: 'Idempotency-Key 格式有误（8–128 位字母、数字、- 或 _）',
  [ApplicationErrorCode.IdempotencyKeyReused]: '该 Idempotency-Key 已用于另一个不同的请求',
};

export class ApplicationException extends DomainException<ApplicationErrorCode> {
  constructor(code: ApplicationErrorCode, details?: unknown) {
    super(code, applicationErrorMessages[code], details);
  }
}
