import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Agent, type Dispatcher, request } from 'undici';
import { sha256 } from '../core/canonical.js';
import { UsageError } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import { VERSION } from '../core/version.js';

/**
 * Webhook notifications from the daemon (docs/notifications.md): Slack incoming webhooks or a generic JSON POST.
 * Delivery never throws into the reconcile and never repeats itself: an event already delivered to a target is
 * not sent again until its situation changes (another set of changes) or the daemon says it is over (`clear`).
 */

export type NotifyEventKind = 'drift_found' | 'apply_failed' | 'applied_after_drift' | 'guard_refused';
export interface NotifyEvent {
  kind: NotifyEventKind;
  /** Environment / app name the daemon reconciles (e.g. "prod"). */
  environment: string;
  app?: { api_key: string; name?: string | null; base_url: string };
  /** One line for humans, e.g. "3 objects drifted from the file". Never contains a value from the file or the app. */
  summary: string;
  /** The addresses concerned, with the action and the field paths (JSON pointers) only — never values. */
  changes: { address: string; action: 'create' | 'update' | 'delete'; fields: string[]; error?: string }[];
  reconcile_id?: string;
  at: string; // ISO time
}
export interface NotifyTarget {
  /** Name for logs, e.g. "slack-ops". */
  name: string;
  /** May itself be a secret (Slack webhook URLs are): only the target's name and the URL's origin are ever logged. */
  url: string;
  format: 'slack' | 'json';
  /** Which events go to this target (default: all; an empty list: none). */
  events?: NotifyEventKind[];
  /** Extra headers (e.g. Authorization for a generic endpoint): values are secrets, never logged. */
  headers?: Record<string, string>;
}
export interface NotifierOptions {
  targets: NotifyTarget[];
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Attempts per event and target, with back-off between (default 3 attempts, 500 ms doubling). */
  attempts?: number;
  minBackoffMs?: number;
  /**
   * A delivered event is sent again (a reminder) once this long has passed, even if nothing changed. Default:
   * never; only a changed set of changes or `clear()` sends it again.
   */
  repeatAfterMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Values that must never leave in a payload or a log (the app's secrets); also redact error messages. */
  secrets?: () => readonly string[];
  dispatcher?: Dispatcher;
}
export interface Notifier {
  /** Sends in the background to each matching target; never throws. Resolves when delivery attempts are done. */
  notify(event: NotifyEvent): Promise<void>;
  /** The situation an event kind reported is over: the next same event is sent again. */
  clear(environment: string, kind?: NotifyEventKind): void;
  /** No new deliveries, no further retries; resolves when the attempts in flight have ended. */
  close(): Promise<void>;
}

/** A server's Retry-After is honoured up to this: a longer pause would outlive the next reconcile. */
const MAX_RETRY_AFTER_MS = 30_000;
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Slack: a section's text is capped at 3,000 characters; 20 lines of at most 140 stay under it. */
const SLACK_LIST = 20;
const SLACK_LINE = 140;
const TITLES: Record<NotifyEventKind, string> = {
  drift_found: 'Drift found',
  apply_failed: 'Apply failed',
  applied_after_drift: 'Drift corrected',
  guard_refused: 'Apply refused by a guard',
};

/** The same situation hashes the same: order of changes and of fields, and error wording (request ids), ignored. */
function fingerprint(e: NotifyEvent): string {
  const lines = e.changes.map((c) => `${c.address}\u0000${c.action}\u0000${[...new Set(c.fields)].sort().join('\u0001')}`);
  return sha256([...new Set(lines)].sort().join('\n'));
}

/** Every string of `value` redacted: the summary and errors may quote what the API sent back, secrets included. */
function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)])) as T;
  return value;
}

/** Slack reads `<…>` as links and mentions (`<!channel>`): text from the event must not become one. */
const mrkdwn = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function slackPayload(e: NotifyEvent): { text: string; blocks: unknown[] } {
  const app = e.app?.name ? ` (app ${e.app.name})` : '';
  const text = cut(`stream-sync · ${e.environment}${app}: ${TITLES[e.kind]}: ${e.summary}`, 300);
  const lines = e.changes.slice(0, SLACK_LIST).map((c) => {
    const fields = c.fields.length > 3 ? `${c.fields.slice(0, 3).join(', ')} +${c.fields.length - 3}` : c.fields.join(', ');
    return `• ${mrkdwn(cut(`${c.action} ${c.address}${fields ? ` (${fields})` : ''}${c.error ? `: ${c.error}` : ''}`, SLACK_LINE))}`;
  });
  if (e.changes.length > SLACK_LIST) lines.push(`_and ${e.changes.length - SLACK_LIST} more_`);
  const context = [`stream-sync ${VERSION}`, e.reconcile_id && `reconcile ${e.reconcile_id}`, e.at].filter(Boolean).join(' · ');
  return {
    text: mrkdwn(text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${TITLES[e.kind]}* in *${mrkdwn(e.environment)}*${mrkdwn(app)}\n${mrkdwn(e.summary)}` } },
      ...(lines.length ? [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn(context) }] },
    ],
  };
}

export const jsonPayload = (e: NotifyEvent) => ({ source: 'stream-sync', version: VERSION, ...e });

/** Milliseconds a Retry-After asks for (seconds or an HTTP date), capped; undefined when absent or unreadable. */
function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const ms = /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const attempts = Math.max(1, opts.attempts ?? 3);
  const minBackoffMs = opts.minBackoffMs ?? 500;
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  const stopping = new AbortController();
  // The default back-off's timer ends with close(), so it never holds a stopping process open.
  const sleep = opts.sleep ?? ((ms: number) => delay(ms, undefined, { signal: stopping.signal }).catch(() => undefined));
  const targets = opts.targets.map((t) => {
    let url: URL;
    try {
      url = new URL(t.url);
    } catch {
      url = new URL('invalid:'); // the message below must not quote the URL: it may be the secret
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`notification target "${t.name}": its url is not an http(s) URL`);
    // Besides the app's secrets, an error message must not carry the URL's path (a Slack token) nor a header value.
    const hidden = [t.url, `${url.pathname}${url.search}`, url.search, ...Object.values(t.headers ?? {})].filter((s) => s.length > 1);
    /** Per environment and kind: what was last sent (or is being sent) and when. */
    return { ...t, origin: url.origin, hidden, sent: new Map<string, { fp: string; at: number }>() };
  });
  // Our own Agent unless the caller gives a dispatcher: close() can then end its sockets.
  const own = opts.dispatcher ? undefined : new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { timeout: timeoutMs } });
  const dispatcher = opts.dispatcher ?? own!;
  const inFlight = new Set<Promise<void>>();
  /** The back-off, cut short by close(): a stopping daemon does not wait out retries. */
  const stoppableSleep = async (ms: number) => {
    let onAbort = () => {};
    const aborted = new Promise<void>((resolve) => (onAbort = resolve));
    stopping.signal.addEventListener('abort', onAbort, { once: true });
    await Promise.race([sleep(ms), aborted]).finally(() => stopping.signal.removeEventListener('abort', onAbort));
  };
  const secrets = () => {
    try {
      return opts.secrets?.() ?? [];
    } catch {
      return [];
    }
  };

  /** One attempt: the HTTP status, or the failure's code (never its message: it may quote the URL). */
  async function attempt(t: (typeof targets)[number], body: string): Promise<{ status?: number; error?: string; retryAfter?: number }> {
    try {
      const res = await request(t.url, {
        method: 'POST',
        dispatcher,
        headers: { ...t.headers, 'content-type': 'application/json', 'user-agent': `stream-sync/${VERSION}` },
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        // undici checks its own timeouts on a coarse timer; the signal holds the attempt to timeoutMs. close() does
        // not abort it: the last run's notification, already on its way, still gets its one chance.
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump().catch(() => undefined);
      return { status: res.statusCode, retryAfter: retryAfterMs(res.headers['retry-after'], now()) };
    } catch (err) {
      const e = err as { code?: string; name?: string };
      const timedOut = ['TimeoutError', 'AbortError'].includes(e.name ?? '') || ['UND_ERR_ABORTED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'].includes(e.code ?? '');
      const error = timedOut ? `no answer within ${timeoutMs} ms` : (e.code ?? e.name ?? 'error');
      return { error: redact(error, [...t.hidden, ...secrets()]) };
    }
  }

  async function deliver(t: (typeof targets)[number], event: NotifyEvent, key: string, mark: { fp: string; at: number }): Promise<void> {
    const body = JSON.stringify(t.format === 'slack' ? slackPayload(event) : jsonPayload(event));
    const where = { target: t.name, origin: t.origin, kind: event.kind, environment: event.environment };
    let last = '';
    for (let n = 1; n <= attempts; n++) {
      const r = await attempt(t, body);
      if (r.status !== undefined && r.status >= 200 && r.status < 300) {
        log?.debug({ ...where, attempts: n }, 'notification delivered');
        return;
      }
      last = r.status !== undefined ? `HTTP ${r.status}` : r.error!;
      const retryable = r.status === undefined || RETRY_STATUSES.has(r.status);
      if (!retryable || n === attempts || stopping.signal.aborted) break;
      const wait = r.retryAfter ?? minBackoffMs * 2 ** (n - 1);
      log?.debug({ ...where, attempt: n, reason: last, wait_ms: wait }, 'notification failed; retrying');
      await stoppableSleep(wait);
      if (stopping.signal.aborted) break;
    }
    // Undelivered: forget it (unless a newer event took its place), so the next run's same event tries again.
    if (t.sent.get(key) === mark) t.sent.delete(key);
    log?.warn({ ...where, reason: last }, `notification to ${t.name} (${t.origin}) was not delivered: ${last}`);
  }

  return {
    notify(raw) {
      try {
        if (stopping.signal.aborted) return Promise.resolve();
        // Only the documented fields leave: an extra property on the event could carry a value from the file.
        const changes = (raw.changes ?? []).map((c) => ({ address: String(c.address), action: c.action, fields: [...(c.fields ?? [])], ...(c.error !== undefined && { error: String(c.error) }) }));
        const { kind, environment, app, summary, reconcile_id, at } = raw;
        const picked: NotifyEvent = { kind, environment, ...(app && { app: { api_key: app.api_key, name: app.name ?? null, base_url: app.base_url } }), summary, changes, ...(reconcile_id && { reconcile_id }), at };
        const event = redactDeep(picked, secrets());
        const fp = fingerprint(event);
        const key = `${event.environment}\u0000${event.kind}`;
        const jobs: Promise<void>[] = [];
        for (const t of targets) {
          if (t.events && !t.events.includes(event.kind)) continue;
          const prev = t.sent.get(key);
          if (prev?.fp === fp && (opts.repeatAfterMs === undefined || now() - prev.at < opts.repeatAfterMs)) {
            log?.debug({ target: t.name, kind: event.kind, environment: event.environment }, 'notification already sent; not repeated');
            continue;
          }
          // Marked before delivery: the next interval's same event, arriving while this one retries, is not sent twice.
          const mark = { fp, at: now() };
          t.sent.set(key, mark);
          jobs.push(
            deliver(t, event, key, mark).catch((err: unknown) => {
              if (t.sent.get(key) === mark) t.sent.delete(key);
              log?.warn({ target: t.name, origin: t.origin, kind, reason: (err as Error)?.name }, `notification to ${t.name} (${t.origin}) was not sent`);
            }),
          );
        }
        const all = Promise.all(jobs).then(() => undefined);
        inFlight.add(all);
        void all.finally(() => inFlight.delete(all));
        return all;
      } catch (err) {
        // A malformed event must not reach the reconcile as an exception.
        log?.warn({ kind: raw?.kind, reason: (err as Error)?.name }, 'notification not sent: the event could not be built');
        return Promise.resolve();
      }
    },
    clear(environment, kind) {
      for (const t of targets) for (const key of [...t.sent.keys()]) if (key === `${environment}\u0000${kind}` || (!kind && key.startsWith(`${environment}\u0000`))) t.sent.delete(key);
    },
    async close() {
      stopping.abort();
      await Promise.all([...inFlight]);
      await own?.close().catch(() => undefined);
    },
  };
}
