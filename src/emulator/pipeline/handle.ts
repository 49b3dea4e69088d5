import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamApiError } from '../errors.js';
import { authenticateRequest, requireKnownApp } from './auth.js';
import { parseBody, readBody } from './body.js';
import { durationOf, newExchange, send, sendError, type ServerEnv, type Step } from './exchange.js';
import { faultAfterHandler, holdBack, injectFault } from './faults.js';
import { logRequest } from './log.js';
import { peekRateLimit, takeRateLimit } from './rate-limit.js';
import { dispatch, matchRoute, rejectInvalidParams } from './route.js';

/**
 * The order is the emulator's contract (faults.ts, auth.ts): rate headers from the first answer on, the route
 * before the app (404/405 need no key), the body's size before faults, faults before authentication, and only
 * authenticated requests spend the rate budget or have their body parsed.
 */
const STEPS: readonly Step[] = [
  peekRateLimit,
  matchRoute,
  peekRateLimit,
  requireKnownApp,
  readBody,
  injectFault,
  authenticateRequest,
  takeRateLimit,
  rejectInvalidParams,
  parseBody,
  dispatch,
  faultAfterHandler,
];

export async function handleRequest(env: ServerEnv, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const x = newExchange(env, req, res);
  try {
    for (const step of STEPS) {
      await step(x);
      if (x.answered) return;
    }
    await holdBack(x);
    send(x, x.method === 'POST' || x.method === 'PUT' ? 201 : 200, { ...x.result, duration: durationOf(x.start) });
  } catch (err) {
    await holdBack(x);
    if (err instanceof StreamApiError) sendError(x, err);
    else {
      env.log?.error({ err, op: x.op }, 'emulator handler failed');
      sendError(x, new StreamApiError(500, -1, 'internal server error'));
    }
  } finally {
    logRequest(x);
  }
}
