import { Global, Module } from '@nestjs/common';
import { SMS_CONFIG, type SmsConfig } from '@zhengming/config';
import { NotificationsService } from './notifications.service';
import { HttpSmsSender, LoggingSmsSender, SmsSender } from './sms-sender';

@Global()
@Module({
  providers: [
    NotificationsService,
    {
      provide: SmsSender,
      inject: [SMS_CONFIG],
      useFactory: (config: SmsConfig): SmsSender =>
        config.driver === 'http' ? new HttpSmsSender(config) : new LoggingSmsSender(),
    },
  ],
  exports: [NotificationsService, SmsSender],
})
export class NotificationsModule {}
