import type { KindSpec } from '../kinds/types.js';
import type { DesiredObject } from './model.js';
import { SENSITIVE } from '../plan/diff.js';
import { overlaps, patternOverlaps, toPointer } from './pointer.js';

/**
 * Error messages are the one output built from text the API sends back, and an API may quote the request in its
 * error (a validation message, a proxy's page): the secrets a change carried must not come back that way.
 */

/** Shorter tails of a secret are left alone: they would match ordinary words. */
const MIN_TAIL = 4;

/** The string values of a desired object that are sensitive: secret fields and `${env:}`/`${file:}` substitutions. */
export function sensitiveValues(desired: DesiredObject | undefined, spec: Pick<KindSpec, 'secretFields'>): string[] {
  if (!desired) return [];
  const out = new Set<string>();
  const walk = (value: unknown, segments: string[]) => {
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...segments, k]);
      return;
    }
    if (typeof value !== 'string' || value === '') return;
    const path = toPointer(segments);
    if (spec.secretFields.some((p) => patternOverlaps(p, path)) || desired.sensitive.some((s) => overlaps(s, path))) out.add(value);
  };
  walk(desired.fields, []);
  return [...out];
}

/**
 * `text` with every occurrence of a secret replaced by `(sensitive value)`: as written, JSON-escaped once (a
 * request body quoted in a message) and twice (that body inside a JSON error envelope), and a secret cut off at the
 * end of `text` (a quoted body truncated for length).
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    const once = JSON.stringify(s).slice(1, -1);
    forms.add(s).add(once).add(JSON.stringify(once).slice(1, -1));
  }
  const longestFirst = [...forms].sort((a, b) => b.length - a.length);
  let out = text;
  for (const f of longestFirst) out = out.split(f).join(SENSITIVE);
  for (const f of longestFirst) {
    for (let n = f.length - 1; n >= MIN_TAIL; n--) {
      if (out.endsWith(f.slice(0, n))) {
        out = `${out.slice(0, out.length - n)}${SENSITIVE}`;
        break;
      }
    }
  }
  return out;
}
