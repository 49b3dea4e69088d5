import type { Api } from '../kinds/types.js';

/** The daemon is stopping: no new request starts, no back-off or pacing wait runs to its end. */
export class StoppedError extends Error {
  constructor(what: string) {
    super(`${what}: stream-sync is stopping`);
    this.name = 'StoppedError';
  }
}

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
