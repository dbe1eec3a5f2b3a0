export * from './notification.entity';
export * from './sms-sender';
export * from './notifications.service';
export * from './notifications.module';
