import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RECEIVER_TOKEN, type Receiver, startReceiver } from '../../test/daemon/notify-receiver.js';
import { VERSION } from '../core/version.js';
import { createNotifier, type NotifierOptions, type NotifyEvent, type NotifyTarget } from './notify.js';

const SECRET = 'sentinel-secret-9f8e7d6c5b4a';

const event = (over: Partial<NotifyEvent> = {}): NotifyEvent => ({
  kind: 'drift_found',
  environment: 'prod',
  app: { api_key: 'key-123', name: 'prod-app', base_url: 'https://chat.stream-io-api.com' },
  summary: '2 objects drifted from the file',
  changes: [
    { address: 'channel_type/messaging', action: 'update', fields: ['/reactions', '/push_notifications'] },
    { address: 'role/support-agent', action: 'create', fields: [] },
  ],
  reconcile_id: 'r-1',
  at: '2026-01-02T03:04:05.000Z',
  ...over,
});

/** A debug-level pino logger whose output the test reads as one string. */
function captureLog() {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), text: () => out, lines: () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const receivers: Receiver[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(opts?: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(opts);
  receivers.push(r);
  return r;
}

/** A notifier with no real back-off waits: the waits it asked for are recorded instead. */
function notifier(targets: NotifyTarget[], over: Partial<NotifierOptions> = {}) {
  const waits: number[] = [];
  const log = captureLog();
  const n = createNotifier({ targets, logger: log.logger, sleep: async (ms) => void waits.push(ms), secrets: () => [SECRET], ...over });
  closers.push(() => n.close());
  return { n, waits, log };
}

describe('payloads', () => {
  it('posts the event as JSON with its source and version to a json target', async () => {
    const r = await receiver();
    const { n } = notifier([{ name: 'generic', url: r.url, format: 'json', headers: { authorization: 'Bearer hdr-secret-1234' } }]);
    await n.notify(event());
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.body).toEqual({ source: 'stream-sync', version: VERSION, ...event() });
    expect(r.received[0]!.headers['content-type']).toBe('application/json');
    expect(r.received[0]!.headers.authorization).toBe('Bearer hdr-secret-1234');
  });

  it('posts a short Slack message: environment, summary, the addresses as a list and "and N more" past 20', async () => {
    const r = await receiver();
    const { n } = notifier([{ name: 'slack-ops', url: r.url, format: 'slack' }]);
    const changes = Array.from({ length: 23 }, (_, i) => ({ address: `role/r${i}`, action: 'delete' as const, fields: [] }));
    await n.notify(event({ summary: '23 objects drifted from the file', changes }));
    const body = r.received[0]!.body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(body.text).toContain('prod');
    expect(body.text).toContain('23 objects drifted from the file');
    const list = body.blocks[1]!.text!.text;
    expect(list.split('\n')).toHaveLength(21);
    expect(list).toContain('delete role/r0');
    expect(list).toContain('delete role/r19');
    expect(list).not.toContain('role/r20');
    expect(list).toContain('and 3 more');
  });

  it('escapes Slack control sequences that come from the event', async () => {
    const r = await receiver();
    const { n } = notifier([{ name: 'slack-ops', url: r.url, format: 'slack' }]);
    await n.notify(event({ changes: [{ address: 'role/<!channel>', action: 'create', fields: [] }] }));
    expect(JSON.stringify(r.received[0]!.body)).not.toContain('<!channel>');
  });

  it('sends only the documented fields of an event', async () => {
    const r = await receiver();
    const { n } = notifier([{ name: 'generic', url: r.url, format: 'json' }]);
    await n.notify({ ...event(), desired: { secret: 'x' } } as unknown as NotifyEvent);
    expect(r.received[0]!.body).not.toHaveProperty('desired');
  });
});

describe('routing and deduplication', () => {
  it('sends each target only the event kinds it lists', async () => {
    const all = await receiver();
    const failures = await receiver();
    const { n } = notifier([
      { name: 'all', url: all.url, format: 'json' },
      { name: 'failures', url: failures.url, format: 'json', events: ['apply_failed'] },
    ]);
    await n.notify(event({ kind: 'drift_found' }));
    await n.notify(event({ kind: 'apply_failed' }));
    expect(all.received.map((q) => (q.body as NotifyEvent).kind)).toEqual(['drift_found', 'apply_failed']);
    expect(failures.received.map((q) => (q.body as NotifyEvent).kind)).toEqual(['apply_failed']);
  });

  it('sends the same drift once, a changed set again, and the same drift again after clear()', async () => {
    const r = await receiver();
    const { n } = notifier([{ name: 'ops', url: r.url, format: 'json' }]);
    await n.notify(event());
    // The same set, in another order and with another reconcile id: still the same situation.
    await n.notify(event({ reconcile_id: 'r-2', changes: [...event().changes].reverse() }));
    expect(r.received).toHaveLength(1);
    await n.notify(event({ changes: [{ address: 'role/support-agent', action: 'create', fields: [] }] }));
    expect(r.received).toHaveLength(2);
    n.clear('prod');
    await n.notify(event({ changes: [{ address: 'role/support-agent', action: 'create', fields: [] }] }));
    expect(r.received).toHaveLength(3);
  });

  it('keeps environments and kinds apart, and clear(env, kind) clears only that kind', async () => {
    const r = await receiver();
    const { n } = notifier([{ name: 'ops', url: r.url, format: 'json' }]);
    const failed = event({ kind: 'apply_failed', changes: [{ address: 'role/a', action: 'create', fields: [], error: 'CreateRole: 400 (req 1)' }] });
    await n.notify(event());
    await n.notify(event({ environment: 'staging' }));
    await n.notify(failed);
    // The same failure set with another error wording (a new request id) is the same failure.
    await n.notify({ ...failed, changes: [{ ...failed.changes[0]!, error: 'CreateRole: 400 (req 2)' }] });
    expect(r.received).toHaveLength(3);
    n.clear('prod', 'apply_failed');
    await n.notify(event());
    await n.notify(failed);
    expect(r.received.map((q) => (q.body as NotifyEvent).kind)).toEqual(['drift_found', 'drift_found', 'apply_failed', 'apply_failed']);
  });

  it('repeats a delivered event after repeatAfterMs when asked to', async () => {
    const r = await receiver();
    let t = 0;
    const { n } = notifier([{ name: 'ops', url: r.url, format: 'json' }], { repeatAfterMs: 60_000, now: () => t });
    await n.notify(event());
    t = 59_999;
    await n.notify(event());
    t = 60_000;
    await n.notify(event());
    expect(r.received).toHaveLength(2);
  });

  it('sends an event again after a delivery that failed for good', async () => {
    const r = await receiver({ failFirst: 1, status: 500 });
    const { n } = notifier([{ name: 'ops', url: r.url, format: 'json' }], { attempts: 1 });
    await n.notify(event());
    await n.notify(event());
    expect(r.received).toHaveLength(2);
  });
});

describe('retries and timeouts', () => {
  it('retries a 503 with a doubling back-off and delivers on the third attempt', async () => {
    const r = await receiver({ failFirst: 2, status: 503 });
    const { n, waits, log } = notifier([{ name: 'ops', url: r.url, format: 'json' }], { minBackoffMs: 100 });
    await n.notify(event());
    expect(r.received).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
    expect(log.lines().filter((l) => l.level === 40)).toEqual([]);
    expect(log.lines().some((l) => l.msg === 'notification delivered' && l.attempts === 3)).toBe(true);
  });

  it('waits as long as a 429 Retry-After asks, up to a cap', async () => {
    const r = await receiver({ failFirst: 2, status: 429, failHeaders: { 'retry-after': '2' } });
    const capped = await receiver({ failFirst: 1, status: 429, failHeaders: { 'retry-after': '3600' } });
    const { n, waits } = notifier([{ name: 'ops', url: r.url, format: 'json' }]);
    await n.notify(event());
    expect(r.received).toHaveLength(3);
    expect(waits).toEqual([2000, 2000]);
    const other = notifier([{ name: 'ops', url: capped.url, format: 'json' }]);
    await other.n.notify(event());
    expect(other.waits).toEqual([30_000]);
  });

  it('does not retry a 4xx other than 429, and warns with the target name and origin only', async () => {
    const r = await receiver({ failFirst: 5, status: 404 });
    const { n, log } = notifier([{ name: 'slack-ops', url: r.url, format: 'slack' }]);
    await n.notify(event());
    expect(r.received).toHaveLength(1);
    const warn = log.lines().find((l) => l.level === 40)!;
    expect(warn).toMatchObject({ target: 'slack-ops', origin: new URL(r.url).origin, reason: 'HTTP 404' });
    expect(log.text()).not.toContain(RECEIVER_TOKEN);
  });

  it('gives up on an endpoint that answers later than timeoutMs after every attempt, and logs no URL token', async () => {
    const r = await receiver({ delayMs: 2_000 });
    const { n, log } = notifier([{ name: 'slow', url: r.url, format: 'json', headers: { authorization: 'Bearer hdr-secret-1234' } }], { timeoutMs: 100, attempts: 2 });
    await n.notify(event());
    expect(r.received).toHaveLength(2);
    const warns = log.lines().filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ target: 'slow', origin: new URL(r.url).origin, reason: 'no answer within 100 ms' });
    expect(log.text()).not.toContain(RECEIVER_TOKEN);
    expect(log.text()).not.toContain('hdr-secret');
  });

  it('resolves without throwing when nothing listens, and logs the origin only', async () => {
    const r = await receiver();
    const url = r.url;
    await r.close();
    receivers.splice(receivers.indexOf(r), 1);
    const { n, log, waits } = notifier([{ name: 'gone', url, format: 'json' }]);
    await expect(n.notify(event())).resolves.toBeUndefined();
    expect(waits).toEqual([500, 1000]);
    expect(log.lines().find((l) => l.level === 40)).toMatchObject({ target: 'gone', reason: 'ECONNREFUSED' });
    expect(log.text()).not.toContain(RECEIVER_TOKEN);
  });

  it('never throws on a malformed event', async () => {
    const r = await receiver();
    const { n } = notifier([{ name: 'ops', url: r.url, format: 'slack' }]);
    await expect(n.notify(null as unknown as NotifyEvent)).resolves.toBeUndefined();
    await expect(n.notify({ kind: 'drift_found', environment: 'prod' } as unknown as NotifyEvent)).resolves.toBeUndefined();
  });

  it('stops retrying on close() and sends nothing after it', async () => {
    const r = await receiver({ failFirst: 10 });
    let n!: ReturnType<typeof createNotifier>;
    // The back-off never ends by itself: only close() can end the delivery.
    n = createNotifier({ targets: [{ name: 'ops', url: r.url, format: 'json' }], sleep: () => new Promise(() => undefined) });
    const delivery = n.notify(event());
    await new Promise<void>((resolve) => {
      const poll = () => (r.received.length ? resolve() : setTimeout(poll, 5));
      poll();
    });
    await n.close();
    await delivery;
    await n.notify(event({ environment: 'staging' }));
    expect(r.received).toHaveLength(1);
  });
});

describe('secrets', () => {
  it('redacts a secret in an error or the summary before it leaves, in both formats', async () => {
    const r = await receiver();
    const { n, log } = notifier([
      { name: 'slack', url: r.url, format: 'slack' },
      { name: 'json', url: r.url, format: 'json' },
    ]);
    await n.notify(event({ kind: 'apply_failed', summary: `1 change failed (${SECRET})`, changes: [{ address: 'app', action: 'update', fields: ['/sqs_secret'], error: `UpdateApp: 400: invalid "${SECRET}"` }] }));
    expect(r.received).toHaveLength(2);
    for (const q of r.received) expect(JSON.stringify(q.body)).not.toContain(SECRET);
    expect(JSON.stringify(r.received.map((q) => q.body))).toContain('(sensitive value)');
    expect(log.text()).not.toContain(SECRET);
  });

  it('refuses a target whose url is not http(s), without quoting the url', () => {
    expect(() => createNotifier({ targets: [{ name: 'bad', url: `ftp://host/${RECEIVER_TOKEN}`, format: 'json' }] })).toThrow(/notification target "bad"/);
    try {
      createNotifier({ targets: [{ name: 'bad', url: `not a url ${RECEIVER_TOKEN}`, format: 'json' }] });
    } catch (err) {
      expect((err as Error).message).not.toContain(RECEIVER_TOKEN);
    }
  });
});
