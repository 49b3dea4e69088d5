import type { DesiredObject } from './model.js';
import { overlaps, patternOverlaps, toPointer } from './pointer.js';

/**
 * The one place that decides what is secret and hides it, for every output: plans, logs, errors, check results.
 * A value is sensitive when it sits at (or inside) a secret field of its kind, or the loader marked it (substituted
 * from `${secret:…}`/`${file:…}`, or from a variable `policy.sensitive_variables` names). Outputs built from text the API sends back (an error that quotes the request, a
 * proxy's page) are passed through `redact` with the sensitive values of the objects involved.
 */

export const SENSITIVE = '(sensitive value)';

/**
 * Substituted values shorter than this are left alone (a region, a flag: they would blank out ordinary words).
 * Values at a kind's secret fields are hidden whatever their length (a three-digit PIN is a secret).
 */
const MIN_LENGTH = 4;

/**
 * The string values of `objects` that are sensitive (each object's kind's `secretFields` and its own `sensitive`
 * pointers), longest first. A value that is a JSON document (a service account key) also yields the strings inside
 * it: an API may quote part of it.
 */
export function sensitiveValues(objects: Iterable<DesiredObject | undefined>, secretFieldsOf: (kind: string) => readonly string[]): string[] {
  const out = new Set<string>();
  for (const obj of objects) {
    if (!obj) continue;
    const secretFields = secretFieldsOf(obj.kind);
    const walk = (value: unknown, segments: string[]) => {
      if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) walk(v, [...segments, k]);
        return;
      }
      if (typeof value !== 'string' || value === '') return;
      const path = toPointer(segments);
      const secret = secretFields.some((p) => patternOverlaps(p, path));
      if (!secret && !obj.sensitive.some((s) => overlaps(s, path))) return;
      if (secret || value.length >= MIN_LENGTH) out.add(value);
      for (const inner of jsonStrings(value)) if (inner.length >= MIN_LENGTH) out.add(inner);
    };
    walk(obj.fields, []);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** The string values inside `text` when it is a JSON document; none otherwise. */
function jsonStrings(text: string): string[] {
  if (!/^\s*[[{]/.test(text)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(doc);
  return out;
}

/**
 * `text` with every occurrence of a secret replaced by `(sensitive value)`: as written, JSON-escaped once (a
 * request body quoted in a message) and twice (that body inside a JSON error envelope), and a secret cut off at the
 * end of `text` (a quoted body truncated for length).
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s === '') continue;
    const once = JSON.stringify(s).slice(1, -1);
    forms.add(s).add(once).add(JSON.stringify(once).slice(1, -1));
  }
  const longestFirst = [...forms].sort((a, b) => b.length - a.length);
  let out = text;
  for (const f of longestFirst) out = out.split(f).join(SENSITIVE);
  for (const f of longestFirst) {
    // A cut-off tail is matched from four characters on: shorter ones would match ordinary text.
    for (let n = f.length - 1; n >= MIN_LENGTH; n--) {
      if (out.endsWith(f.slice(0, n))) {
        out = `${out.slice(0, out.length - n)}${SENSITIVE}`;
        break;
      }
    }
  }
  return out;
}

/** `err` with its message redacted (an error thrown past every other output: the CLI prints it, the daemon logs it). */
export function redactError(err: unknown, secrets: readonly string[]): unknown {
  if (err instanceof Error && secrets.length) err.message = redact(err.message, secrets);
  return err;
}

/** Names that hold credentials whatever the object: the connection's and HTTP's. */
const ALWAYS_SECRET_KEYS = ['secret', 'apiSecret', 'api_secret', 'token', 'authorization', 'password', 'credentials', 'STREAM_API_SECRET'];

/**
 * Log paths a logger censors as a second line of defence (no log call should carry a secret in the first place):
 * the connection's credentials and every secret field name (`sqs_secret`, `firebase_credentials`, …), at the top
 * of a log object and up to three levels down (pino's redaction has no "any depth" wildcard).
 */
export function logRedactPaths(secretFields: Iterable<string>): string[] {
  const names = new Set(ALWAYS_SECRET_KEYS);
  for (const pointer of secretFields) {
    const leaf = pointer.split('/').filter((s) => s && s !== '*').pop();
    if (leaf) names.add(leaf);
  }
  return [...names].sort().flatMap((n) => [n, `*.${n}`, `*.*.${n}`, `*.*.*.${n}`]);
}
