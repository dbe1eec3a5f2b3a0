export * from './outbox-message.entity';
export * from './outbox.service';
export * from './outbox-relay';
export * from './outbox.module';
