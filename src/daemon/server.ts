import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from './duration.js';

export interface Probe {
  /** 200 or 503, and a JSON body that says why. */
  ok: boolean;
  detail: Record<string, unknown>;
}

export interface HealthSource {
  /** `/healthz`: the loop runs. */
  health(): Probe;
  /** `/readyz`: a reconcile has succeeded; the body carries the configuration's and the last run's state. */
  readiness(): Probe;
  /** `/readyz/<app>`: one app's readiness; undefined for an app the daemon does not reconcile (404). */
  readinessOf?(app: string): Probe | undefined;
  metrics(): Promise<{ contentType: string; text: string }>;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `--listen`: `/healthz`, `/readyz` (and `/readyz/<app>`) and `/metrics`, read-only, and nothing else (every other path is 404, every
 * method other than GET and HEAD is 405). Nothing it serves carries a secret.
 */
export async function startHealthServer(at: ListenAddress, source: HealthSource): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
    if (path === '/healthz' || path === '/readyz') {
      const probe = path === '/healthz' ? source.health() : source.readiness();
      return send(res, probe.ok ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(probe.detail)}\n`);
    }
    const app = /^\/readyz\/([^/]+)$/.exec(path);
    if (app && source.readinessOf) {
      let name: string;
      try {
        name = decodeURIComponent(app[1]!);
      } catch {
        name = '';
      }
      const probe = source.readinessOf(name);
      if (!probe) return send(res, 404, 'text/plain; charset=utf-8', 'not found: no such app in this daemon (/readyz lists them)\n');
      return send(res, probe.ok ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(probe.detail)}\n`);
    }
    if (path === '/metrics') {
      source.metrics().then(
        (m) => send(res, 200, m.contentType, m.text),
        (err: unknown) => send(res, 500, 'text/plain; charset=utf-8', `cannot collect metrics: ${(err as Error).message}\n`),
      );
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found: this server answers /healthz, /readyz and /metrics\n');
  });
  // A probe that hangs must not hold a socket forever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of a scraper would otherwise hold the stop up.
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
