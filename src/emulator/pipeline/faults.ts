import { StreamApiError } from '../errors.js';
import { drop, type Exchange, send } from './exchange.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const injectedError = (status: number | undefined) => new StreamApiError(status ?? 500, -1, 'internal server error (injected fault)');

/**
 * Decides the request's fault and applies what comes before authentication (see faults.ts for which requests
 * count): an injected failure is answered without spending the app's rate budget.
 */
export async function injectFault(x: Exchange): Promise<void> {
  const fault = x.env.faults.decide(x.op);
  if (fault.delayMs) await sleep(fault.delayMs);
  const failure = fault.failure;
  x.failure = failure;
  x.limitScale = fault.limitScale;
  switch (failure?.kind) {
    case 'rate_limit':
      if (failure.resetHeaders === false) {
        for (const h of Object.keys(x.headers)) if (h.startsWith('x-ratelimit-')) delete x.headers[h];
      } else x.headers['x-ratelimit-remaining'] = '0';
      throw new StreamApiError(429, 9, 'Too many requests, check response headers for more info');
    case 'non_json':
      return send(x, failure.status ?? 503, failure.body ?? 'upstream connect error or disconnect/reset before headers');
    case 'echo_body': {
      const echoed = `the request body is invalid: ${x.raw.toString('utf8')}`;
      if (failure.format === 'text') return send(x, failure.status ?? 400, echoed);
      throw new StreamApiError(failure.status ?? 400, 4, echoed);
    }
    case 'reset':
      if (failure.when !== 'after') drop(x);
      return;
    case 'error':
      if (failure.when !== 'after') throw injectedError(failure.status);
      return;
  }
}

/** `when: 'after'` faults: the handler ran (the write happened), the answer is lost. */
export function faultAfterHandler(x: Exchange): void {
  if (x.failure?.kind === 'reset') drop(x);
  else if (x.failure?.kind === 'error') throw injectedError(x.failure.status);
}

/** A `slow` fault holds the answer back, whatever the answer is. */
export async function holdBack(x: Exchange): Promise<void> {
  if (x.failure?.kind === 'slow' && x.failure.ms) await sleep(x.failure.ms);
}
