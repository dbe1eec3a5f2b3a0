import { DomainException, type MessageCatalogue } from '@zhengming/domain-errors';

export enum DeliveryErrorCode {
  NotFound = 'DELIVERY_NOT_FOUND',
  NotDead = 'DELIVERY_NOT_DEAD',
}

export const deliveryErrorMessages: MessageCatalogue<DeliveryErrorCode> = {
  [DeliveryErrorCode.NotFound]: '未找到该推送记录',
  [DeliveryErrorCode.NotDead]: '只有推送失败的记录可以重新推送',
};

export class DeliveryException extends DomainException<DeliveryErrorCode> {
  constructor(code: DeliveryErrorCode, details?: unknown) {
    super(code, deliveryErrorMessages[code], details);
  }
}
