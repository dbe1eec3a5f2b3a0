export * from './delivery-signature';
export * from './power-grid-delivery.entity';
export * from './power-grid.exception';
export * from './power-grid-deliveries.service';
export * from './power-grid.module';
