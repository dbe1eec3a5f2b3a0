import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum OrganizationErrorCode {
  NotFound = 'ORGANIZATION_NOT_FOUND',
  ImportInvalid = 'ORGANIZATION_IMPORT_INVALID',
}

const messages: MessageCatalogue<OrganizationErrorCode> = {
  [OrganizationErrorCode.NotFound]: '未找到该组织机构',
  [OrganizationErrorCode.ImportInvalid]: '村（居）委会名册有误，整个文件未导入',
};

export class OrganizationException extends DomainException<OrganizationErrorCode> {
  constructor(code: OrganizationErrorCode, details?: unknown) {
    super(code, messages[code], details);
  }
}
