import { UsageError } from './errors.js';

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

/** A duration as `--deadline` and `--interval` take it: `30m`, `1h30m`, `45s`, `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
