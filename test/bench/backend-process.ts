import { fileURLToPath } from 'node:url';
import { serverToken } from './emulator-client.js';
import { BACKEND_CLIENT, windowOf } from './windows.js';

/**
 * A simulated customer backend, for the shared-budget scenarios: Stream's rate limits are per app and endpoint,
 * shared by every server-side client, so while stream-sync reconciles, the app's own backend keeps calling the same
 * endpoints. This one calls those stream-sync uses most, each at a steady `BACKEND_SHARE` of its per-minute limit
 * (learnt from GetRateLimits at start), evenly spaced:
 *   UpdateUsers      upserts one of its own users, `backend-user-001` … `-020`, in turn (never the workload's)
 *   QueryUsers       a small query on those users
 *   GetUserGroup     its own group `backend-group-keep`, created at start
 *   CreateUserGroup  `backend-group-<n>`, deleted right away (DeleteUserGroup, another endpoint) so the app does not fill up
 * It never retries, and counts per endpoint its requests and 429s, and per minute window its requests.
 *
 * In a process of its own (its CPU never counts as stream-sync's, and its timers never wait on the benchmark's),
 * started with `fork()` and env BENCH_BACKEND_URL, BENCH_BACKEND_KEY, BENCH_BACKEND_SECRET. Over IPC:
 *   ← { type: 'ready', limits: { op: limit } }   (after GetRateLimits and creating `backend-group-keep`)
 *   → { id, type: 'start' }                     ← { id }   (the calls begin)
 *   → { id, type: 'stop' }                      ← { id, counts: BackendCounts }   (the calls end; in-flight ones are awaited)
 */
export const BACKEND_SHARE = 0.4;
export const BACKEND_OPS = ['UpdateUsers', 'QueryUsers', 'GetUserGroup', 'CreateUserGroup'] as const;
export type BackendOp = (typeof BACKEND_OPS)[number];
/** Each create is followed by this delete: the same rate, on an endpoint of its own. */
export const FOLLOW_UP = 'DeleteUserGroup';

export interface BackendReady {
  type: 'ready';
  /** Per-minute limits as GetRateLimits reported them at start, for `BACKEND_OPS` and `FOLLOW_UP`. */
  limits: Record<string, number>;
}

export type BackendQuestion = { type: 'start' } | { type: 'stop' };

export interface BackendCounts {
  /** Per endpoint: requests answered (any status), 429s among them, and requests that got no answer. */
  byOp: Record<string, { requests: number; rateLimited: number; failed: number }>;
  /** Per minute window (its start, ms): requests sent. */
  byWindow: Record<string, number>;
}

/** Milliseconds between two calls of each endpoint: `BACKEND_SHARE` of its per-minute limit, evenly spaced. */
export function backendIntervals(limits: Record<string, number>): Record<BackendOp, number> {
  return Object.fromEntries(BACKEND_OPS.map((op) => [op, 60_000 / (BACKEND_SHARE * limits[op]!)])) as Record<BackendOp, number>;
}

/** The calls per minute the backend makes to each endpoint, the create's delete included. */
export function backendPerMinute(limits: Record<string, number>): Record<string, number> {
  const perMinute: Record<string, number> = Object.fromEntries(Object.entries(backendIntervals(limits)).map(([op, ms]) => [op, Math.round(60_000 / ms)]));
  perMinute[FOLLOW_UP] = perMinute.CreateUserGroup!;
  return perMinute;
}

const USERS = Array.from({ length: 20 }, (_, i) => `backend-user-${String(i + 1).padStart(3, '0')}`);
const KEEP = 'backend-group-keep';

async function main(): Promise<void> {
  const url = process.env.BENCH_BACKEND_URL!;
  const key = process.env.BENCH_BACKEND_KEY!;
  const token = await serverToken(process.env.BENCH_BACKEND_SECRET!);
  const headers = { authorization: token, 'stream-auth-type': 'jwt', 'x-stream-client': BACKEND_CLIENT, 'content-type': 'application/json' };
  const counts: BackendCounts = { byOp: {}, byWindow: {} };
  const inFlight = new Set<Promise<unknown>>();

  /** One call, never retried; counted by endpoint and by the window it was sent in. Resolves to the status (0: no answer). */
  const call = (op: string, method: string, path: string, query: Record<string, string> = {}, body?: unknown): Promise<number> => {
    const c = (counts.byOp[op] ??= { requests: 0, rateLimited: 0, failed: 0 });
    const window = windowOf(Date.now());
    counts.byWindow[window] = (counts.byWindow[window] ?? 0) + 1;
    const target = `${url}${path}?${new URLSearchParams({ api_key: key, ...query }).toString()}`;
    const p = fetch(target, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }).then(
      async (res) => {
        await res.arrayBuffer();
        c.requests++;
        if (res.status === 429) c.rateLimited++;
        return res.status;
      },
      () => {
        c.failed++;
        return 0;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };

  const ops = [...BACKEND_OPS, FOLLOW_UP];
  const res = await fetch(`${url}/api/v2/rate_limits?${new URLSearchParams({ api_key: key, server_side: 'true', endpoints: ops.join(',') }).toString()}`, { headers });
  if (!res.ok) throw new Error(`GetRateLimits answered ${res.status}`);
  const seen = ((await res.json()) as { server_side: Record<string, { limit: number }> }).server_side;
  const limits = Object.fromEntries(ops.map((op) => [op, seen[op]!.limit]));
  const created = await call('CreateUserGroup', 'POST', '/api/v2/usergroups', {}, { id: KEEP, name: 'Backend group (kept)' });
  if (created !== 201 && created !== 200) throw new Error(`creating ${KEEP} answered ${created}`);

  let upserts = 0;
  let creates = 0;
  const once: Record<BackendOp, () => void> = {
    UpdateUsers: () => {
      const id = USERS[upserts++ % USERS.length]!;
      void call('UpdateUsers', 'POST', '/api/v2/users', {}, { users: { [id]: { id, name: `Backend user ${id.slice(-3)}`, role: 'user', custom: { upserts } } } });
    },
    QueryUsers: () => {
      void call('QueryUsers', 'GET', '/api/v2/users', { payload: JSON.stringify({ filter_conditions: { id: { $in: USERS.slice(0, 5) } }, limit: 10 }) });
    },
    GetUserGroup: () => {
      void call('GetUserGroup', 'GET', `/api/v2/usergroups/${KEEP}`);
    },
    CreateUserGroup: () => {
      const id = `backend-group-${++creates}`;
      void call('CreateUserGroup', 'POST', '/api/v2/usergroups', {}, { id, name: `Backend group ${creates}` }).then((status) => {
        if (status >= 200 && status < 300) void call(FOLLOW_UP, 'DELETE', `/api/v2/usergroups/${id}`);
      });
    },
  };

  const timers = new Map<BackendOp, NodeJS.Timeout>();
  /** Each endpoint on a schedule of its own: the k-th call at start + k × interval (timers late by a few ms do not drift). */
  const start = () => {
    const t0 = performance.now();
    for (const [op, interval] of Object.entries(backendIntervals(limits)) as [BackendOp, number][]) {
      let k = 0;
      const tick = () => {
        once[op]();
        k++;
        timers.set(op, setTimeout(tick, Math.max(0, t0 + k * interval - performance.now())));
      };
      tick();
    }
  };

  process.on('message', (msg: BackendQuestion & { id: number }) => {
    if (msg.type === 'start') {
      start();
      process.send!({ id: msg.id });
    } else if (msg.type === 'stop') {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      // The last creates' deletes are sent once their creates are answered: wait for those too.
      const settle = async () => {
        while (inFlight.size) await Promise.allSettled([...inFlight]);
      };
      void settle().then(() => process.send!({ id: msg.id, counts }));
    }
  });
  process.once('SIGTERM', () => process.exit(0));
  process.once('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', limits } satisfies BackendReady);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`backend failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
