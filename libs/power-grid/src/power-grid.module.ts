import { Module } from '@nestjs/common';
import { CertificatesModule } from '@zhengming/certificates';
import { PowerGridDeliveries } from './power-grid-deliveries.service';

@Module({
  imports: [CertificatesModule],
  providers: [PowerGridDeliveries],
  exports: [PowerGridDeliveries],
})
export class PowerGridModule {}
