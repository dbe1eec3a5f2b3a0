import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { ApplicationsService } from '@zhengming/applications';
import type { PersonPrincipal } from '@zhengming/identity';
import {
  DELIVERY_STATUSES,
  DeliveryErrorCode,
  DeliveryException,
  PowerGridDeliveries,
  type DeliveryStatus,
  type DeliveryView,
} from '@zhengming/power-grid';
import { Access, CurrentPerson } from '../auth/access';
import { NoQuery } from '../http/no-query.dto';
import { ApplicationIdParams } from '../applications/application.dto';

class DeliveryQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES }) @IsOptional() @IsIn(DELIVERY_STATUSES) status?: DeliveryStatus;
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

class DeliveryIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

class DeliveryDto {
  @ApiProperty() id!: string;
  @ApiProperty() applicationId!: string;
  @ApiProperty() certificateNo!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: DeliveryStatus;
  @ApiProperty({ example: '已推送' }) statusName!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: Date, description: '待推送时下次尝试的时间' }) nextAttemptAt!: Date | null;
  @ApiProperty({ nullable: true, type: String, description: '供电部门受理号' }) receiptNo!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) deliveredAt!: Date | null;
}

class DeliveryCountsDto {
  @ApiProperty() pending!: number;
  @ApiProperty() in_flight!: number;
  @ApiProperty() delivered!: number;
  @ApiProperty() dead!: number;
}

class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] }) items!: DeliveryDto[];
  @ApiProperty() total!: number;
  @ApiProperty({ type: DeliveryCountsDto }) counts!: DeliveryCountsDto;
}

class ResidentDeliveryDto {
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: DeliveryStatus;
  @ApiProperty() statusName!: string;
  @ApiProperty({ nullable: true, type: String, description: '供电部门受理号' }) receiptNo!: string | null;
  @ApiProperty({ nullable: true, type: Date }) deliveredAt!: Date | null;
}

class RevivedDto {
  @ApiProperty({ description: '重新进入推送队列的记录数' }) revived!: number;
}

@ApiTags('power-grid')
@Controller('api')
export class DeliveriesController {
  constructor(
    private readonly deliveries: PowerGridDeliveries,
    private readonly applications: ApplicationsService,
  ) {}

  @Get('power-grid-deliveries')
  @Access.admin()
  @ApiOperation({ summary: '供电推送记录（状态、尝试次数、最近错误、受理号）' })
  @ApiOkResponse({ type: DeliveryPageDto })
  async list(@Query() query: DeliveryQuery): Promise<DeliveryPageDto> {
    const [page, stats] = await Promise.all([
      this.deliveries.list(query.status, query.offset ?? 0, query.limit ?? 50),
      this.deliveries.stats(),
    ]);
    return { ...page, counts: stats.counts };
  }

  @Post('power-grid-deliveries/:id/retry')
  @HttpCode(200)
  @Access.admin()
  @ApiOperation({ summary: '重新推送一条失败的记录（从第一次尝试重新计数）' })
  @ApiOkResponse({ type: DeliveryDto })
  retry(@Param() params: DeliveryIdParams, @Query(NoQuery) _query: object): Promise<DeliveryView> {
    return this.deliveries.retryOne(params.id);
  }

  @Post('power-grid-deliveries/retry-dead')
  @HttpCode(200)
  @Access.admin()
  @ApiOperation({ summary: '重新推送全部失败的记录' })
  @ApiOkResponse({ type: RevivedDto })
  async retryAll(@Query(NoQuery) _query: object): Promise<RevivedDto> {
    return { revived: await this.deliveries.retryAllDead() };
  }

  @Get('applications/:id/power-grid-delivery')
  @Access.signedIn()
  @ApiOperation({ summary: '该申请的证明推送至供电部门的情况（受理号）' })
  @ApiOkResponse({ type: ResidentDeliveryDto })
  async forApplication(
    @Param() params: ApplicationIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
  ): Promise<ResidentDeliveryDto> {
    await this.applications.assertVisible(person, params.id);
    const delivery = await this.deliveries.forApplication(params.id);
    if (!delivery) throw new DeliveryException(DeliveryErrorCode.NotFound, { applicationId: params.id });
    return {
      status: delivery.status,
      statusName: delivery.statusName,
      receiptNo: delivery.receiptNo,
      deliveredAt: delivery.deliveredAt,
    };
  }
}
