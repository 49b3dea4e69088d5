import { StoppedError } from '../core/errors.js';
import type { Api } from '../core/api.js';


/** Resolves after `ms`, or rejects with a StoppedError as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new StoppedError('wait'));
    const onAbort = () => {
      clearTimeout(t);
      reject(new StoppedError('wait'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The API as a stopping daemon sees it: once `signal` aborts, a request that has not started yet fails at once
 * (so the executor starts no new change), while the requests already in flight finish or time out.
 */
export function stoppableApi(api: Api, signal: AbortSignal): Api {
  return {
    send(req) {
      if (signal.aborted) return Promise.reject(new StoppedError(req.op));
      return api.send(req);
    },
  };
}
