import { UsageError } from '../core/errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `--interval` as Go and Kubernetes write durations: `5m`, `30s`, `1h30m`, `1500ms`. A bare number is refused:
 * `--interval 5` is ambiguous between seconds and minutes.
 */
export function parseDuration(flag: string, text: string): number {
  const s = text.trim();
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!s || parts.map((p) => p[0]).join('') !== s) {
    throw new UsageError(`${flag} must be a duration such as 30s, 5m or 1h30m (got "${text}")`);
  }
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]!]!, 0));
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** `--listen HOST:PORT` (`[::1]:9464` for IPv6; port 0 picks a free one). */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen must be HOST:PORT, such as 127.0.0.1:9464 or 0.0.0.0:9464 (got "${text}")`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
