import { createHash, createHmac } from 'node:crypto';

/** JSON with object keys sorted, so equal values always print (and hash) the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A set-like array in canonical order (sorted by canonical JSON, duplicates kept). */
export function sortedSet(values: readonly unknown[]): unknown[] {
  return [...values].map((v) => [canonicalJson(v), v] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, v]) => v);
}

export const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** The keyed fingerprint of a write-only value: reveals nothing without the key (the app's API secret). */
export const hmacFingerprint = (key: string, parts: readonly string[]) =>
  `hmac-sha256:${createHmac('sha256', key).update(parts.join('\u0000')).digest('hex')}`;
