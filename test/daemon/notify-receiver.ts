import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** The path and query the request was sent to (e.g. a webhook token). */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the raw text when it is not JSON. */
  body: unknown;
}

export interface ReceiverOptions {
  /** The first N requests are answered with `status` (default 503) instead of 200. */
  failFirst?: number;
  /** The status for the failed requests. Default 503. */
  status?: number;
  /** Extra headers on the failed answers (e.g. `{ 'retry-after': '1' }` with a 429). */
  failHeaders?: Record<string, string>;
  /** Every answer waits this long before its headers (a slow or hung endpoint). */
  delayMs?: number;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>/hooks/<token>`: a path that stands for a secret webhook token. */
  url: string;
  /** Every request received, failed or not, in order of arrival. */
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/** The token in `url`'s path: tests assert it never appears in a log line or an error. */
export const RECEIVER_TOKEN = 'T0KEN-b7c1e9f2d4a64c0e';

/** A local webhook endpoint on 127.0.0.1 (a free port) that records what it is sent. */
export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const fail = received.length <= (opts.failFirst ?? 0);
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(fail ? (opts.status ?? 503) : 200, { 'content-type': 'text/plain', ...(fail ? opts.failHeaders : {}) });
        res.end(fail ? 'failed' : 'ok');
      };
      if (!opts.delayMs) return answer();
      const t = setTimeout(() => {
        timers.delete(t);
        answer();
      }, opts.delayMs);
      timers.add(t);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/${RECEIVER_TOKEN}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        // Delayed answers and kept-alive sockets would hold close() open.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
