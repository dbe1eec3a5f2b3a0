import { Access } from '../auth/access';
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RedisConnection } from '@zhengming/queue';
import { DatabaseLifecycle } from '@zhengming/database';

@ApiTags('health')
@Access.public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisConnection,
    private readonly lifecycle: DatabaseLifecycle,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Liveness: the process answers. It checks nothing else, so a database outage does not get it restarted. */
  @Get()
  @ApiOperation({ summary: '存活检查 liveness' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database answers, every migration is applied, and Redis answers when configured. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: '就绪检查 readiness: database, migrations, Redis' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2000 }),
      () =>
        this.indicators
          .check('migrations')
          .attempt(async () => {
            const pending = await this.dataSource.showMigrations();
            if (pending) throw new Error('migrations pending');
            return {
              applied: this.dataSource.migrations.length,
              mode: this.lifecycle.mode,
            };
          })
          .withTimeout(3000),
      ...(this.redis.configured
        ? [
            () =>
              this.indicators
                .check('redis')
                .attempt(async () => void (await this.redis.ping()))
                .withTimeout(2000),
          ]
        : []),
    ]);
  }
}
