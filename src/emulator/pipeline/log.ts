import { type Exchange, header } from './exchange.js';

/** Every request is recorded, answered, refused or dropped: tests and `--log-level debug` read the same story. */
export function logRequest(x: Exchange): void {
  const { requests, requestLogLimit, log } = x.env;
  requests.push({ op: x.op, method: x.method, path: x.url.pathname, query: x.url.search, status: x.status, apiKey: x.apiKey, at: x.env.now(), client: header(x.req, 'x-stream-client') ?? header(x.req, 'user-agent') });
  if (requests.length > requestLogLimit) requests.splice(0, requests.length - requestLogLimit);
  log?.debug({ method: x.method, path: x.url.pathname, op: x.op, status: x.status, ms: Number(process.hrtime.bigint() - x.start) / 1e6 }, 'request');
}
