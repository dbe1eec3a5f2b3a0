import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { DELIVERY_STATUSES, PowerGridDeliveries } from '@zhengming/power-grid';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(deliveries: PowerGridDeliveries) {
    collectDefaultMetrics({ register: this.registry, prefix: 'zhengming_' });
    // Read from the database at each scrape: the rows are the truth, whichever process sends them.
    let stats: ReturnType<PowerGridDeliveries['stats']> | undefined;
    const current = () => (stats ??= deliveries.stats().finally(() => setTimeout(() => (stats = undefined), 1000)));
    new Gauge({
      name: 'zhengming_power_grid_deliveries',
      help: 'Deliveries to the power-supply company by state (pending, in_flight, delivered, dead)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const { counts } = await current();
        for (const status of DELIVERY_STATUSES) this.set({ status }, counts[status]);
      },
    });
    new Gauge({
      name: 'zhengming_power_grid_delivery_oldest_seconds',
      help: 'Age of the oldest delivery still pending, in flight or dead',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const { oldestSeconds } = await current();
        for (const [status, seconds] of Object.entries(oldestSeconds)) this.set({ status }, seconds);
      },
    });
  }
}
