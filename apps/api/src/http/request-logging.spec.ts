import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import { installRequestLogging } from './request-logging';

interface Line {
  msg: string;
  req?: { id: string; method: string; path: string };
  res?: { statusCode: number };
  context?: string;
}

describe('installRequestLogging', () => {
  const lines: Line[] = [];
  let app: FastifyInstance;
  let base: string;
  const get = (path: string) => fetch(`${base}${path}`);

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
        callback();
      },
    });
    const params = {
      pinoHttp: [
        {
          level: 'info',
          // As AppModule configures the root: paths only.
          serializers: {
            req: (req: { id: string; method: string; url: string }) => ({
              id: req.id,
              method: req.method,
              path: req.url.split('?')[0],
            }),
          },
        },
        sink,
      ] as [object, Writable],
    };
    const pino = new PinoLogger(params);
    // What the application's code logs through: Nest's Logger, backed by nestjs-pino.
    Logger.overrideLogger(new PinoNestLogger(new PinoLogger(params), {}));

    let requestCount = 0;
    app = Fastify({ genReqId: () => `req-${String(++requestCount).padStart(4, '0')}` });
    installRequestLogging(app, pino, { unloggedRoutes: ['/checks/:number'], quietPaths: ['/health'] });
    const logger = new Logger('Handler');
    app.get('/things/:id', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      logger.log('looked the thing up');
      return { ok: true };
    });
    app.get('/checks/:number', async () => {
      logger.log('checked');
      return { ok: true };
    });
    app.get('/health', async () => ({ status: 'ok' }));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app.close();
  });

  beforeEach(() => {
    lines.length = 0;
  });

  /** pino writes through a stream: a line reaches the sink a tick after the call. */
  async function settled(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it("logs each request's completion and binds what the handler logs to the request", async () => {
    const answer = await get('/things/7?secret=hunter2');
    expect(answer.status).toBe(200);
    await settled();
    const handlerLine = lines.find((line) => line.msg === 'looked the thing up');
    expect(handlerLine?.req).toEqual({ id: expect.stringMatching(/^req-\d{4}$/), method: 'GET', path: '/things/7' });
    expect(handlerLine?.context).toBe('Handler');
    const completed = lines.find((line) => line.msg === 'request completed');
    expect(completed?.req).toEqual(handlerLine?.req);
    expect(completed?.res?.statusCode).toBe(200);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('keeps requests apart when they overlap', async () => {
    const [a, b] = await Promise.all([get('/things/1'), get('/things/2')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await settled();
    const handlerPaths = lines.filter((line) => line.msg === 'looked the thing up').map((line) => line.req?.path);
    expect(handlerPaths.sort()).toEqual(['/things/1', '/things/2']);
  });

  it('leaves unlogged routes without a line or a request-bound logger, and quiet paths without a line', async () => {
    expect((await get('/checks/ABC')).status).toBe(200);
    expect((await get('/health')).status).toBe(200);
    await settled();
    expect(lines.filter((line) => line.msg === 'request completed')).toEqual([]);
    const checked = lines.find((line) => line.msg === 'checked');
    expect(checked).toBeDefined();
    expect(checked?.req).toBeUndefined();
  });

  it('logs requests that match no route', async () => {
    expect((await get('/nowhere')).status).toBe(404);
    await settled();
    expect(lines.find((line) => line.msg === 'request completed')?.req?.path).toBe('/nowhere');
  });
});
