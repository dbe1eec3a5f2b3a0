import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RedisConfig } from '@zhengming/config';
import {
  hasRole,
  IdentityErrorCode,
  identityErrorMessages,
  IdentityException,
  SessionsService,
  StaffRole,
  StaffService,
} from '@zhengming/identity';
import { OUTBOX_QUEUE_NAME } from '@zhengming/outbox';
import { ACCESS_COOKIE } from '../auth/cookies';

/** Where admins find Bull Board: the outbox queue's jobs, waiting, active, failed. */
export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * Mounts Bull Board for the district admin only (session cookie or bearer token, as for the API), when
 * the deployment runs its jobs on Redis; without Redis there is no queue to show and nothing is mounted.
 */
export async function mountQueueBoard(app: NestFastifyApplication, redis: RedisConfig): Promise<void> {
  if (!redis.url) return;
  const queue = new Queue(OUTBOX_QUEUE_NAME, {
    connection: { url: redis.url, maxRetriesPerRequest: null },
    prefix: `${redis.keyPrefix}:bull`,
  });
  queue.on('error', () => undefined);
  const board = new FastifyAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue, { readOnlyMode: false })],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: '正明 · 任务队列' } },
  });
  const sessions = app.get(SessionsService);
  const staff = app.get(StaffService);
  const fastify = app.getHttpAdapter().getInstance();

  const refuse = (reply: FastifyReply, status: number, code: IdentityErrorCode) =>
    reply.code(status).send({ code, message: identityErrorMessages[code] });
  await fastify.register(
    async (scope) => {
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        const bearer = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '')?.[1];
        const token = bearer ?? request.cookies?.[ACCESS_COOKIE];
        if (!token) return refuse(reply, 401, IdentityErrorCode.AuthRequired);
        try {
          const { sessionId, personId } = await sessions.authenticate(token);
          const roles = await staff.rolesOf(personId);
          if (!hasRole({ kind: 'person', personId, sessionId, roles }, [StaffRole.Admin])) {
            return refuse(reply, 403, IdentityErrorCode.Forbidden);
          }
        } catch (error) {
          if (error instanceof IdentityException) return refuse(reply, 401, error.code);
          throw error;
        }
      });
      await scope.register(board.registerPlugin());
    },
    { prefix: QUEUE_BOARD_PATH },
  );
  fastify.addHook('onClose', async () => queue.close());
}
