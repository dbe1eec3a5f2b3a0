import { Global, Module, type DynamicModule } from '@nestjs/common';
import { OutboxHandlers, OutboxRelay, OUTBOX_RELAY_OPTIONS, type OutboxRelayOptions } from './outbox-relay';
import { OutboxService } from './outbox.service';

@Global()
@Module({})
export class OutboxModule {
  static forRoot(options: OutboxRelayOptions): DynamicModule {
    return {
      module: OutboxModule,
      providers: [OutboxService, OutboxHandlers, OutboxRelay, { provide: OUTBOX_RELAY_OPTIONS, useValue: options }],
      exports: [OutboxService, OutboxHandlers, OutboxRelay],
    };
  }
}
