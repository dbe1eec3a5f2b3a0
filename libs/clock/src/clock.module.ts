import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Clock, SystemClock } from './clock';

/** Provides `Clock` to every module: the system's, unless the composition hands in another (the history seed). */
@Global()
@Module({})
export class ClockModule {
  static forRoot(clock: Clock = new SystemClock()): DynamicModule {
    return { module: ClockModule, providers: [{ provide: Clock, useValue: clock }], exports: [Clock] };
  }
}
