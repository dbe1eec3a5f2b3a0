import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Piscina } from 'piscina';
import { SIGNING_CONFIG, type SigningConfig } from '@zhengming/config';
import { renderDocument, type RenderedDocument, type RenderJob } from './render-document';

/**
 * Rendering (layout, font subsetting, QR) is the CPU-heavy part of issuing, so it runs in a pool of
 * worker threads and the worker's event loop stays free for the queue, the database and signing.
 * Under Jest the sources are TypeScript and no compiled worker exists: rendering then runs inline.
 */
@Injectable()
export class CertificateRenderer implements OnModuleDestroy {
  private readonly logger = new Logger(CertificateRenderer.name);
  private readonly pool: Piscina<RenderJob, RenderedDocument> | undefined;

  constructor(@Inject(SIGNING_CONFIG) config: Pick<SigningConfig, 'renderThreads'>) {
    const filename = join(__dirname, 'render.worker.js');
    if (existsSync(filename)) {
      this.pool = new Piscina({
        filename,
        minThreads: config.renderThreads,
        maxThreads: config.renderThreads,
        idleTimeout: 60_000,
      });
    } else {
      this.logger.warn('no compiled render worker next to this module: rendering inline');
    }
  }

  get threads(): number {
    return this.pool?.threads.length ?? 0;
  }

  render(job: RenderJob): Promise<RenderedDocument> {
    return this.pool ? this.pool.run(job) : renderDocument(job);
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.destroy();
  }
}
