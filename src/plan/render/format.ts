/**
 * Value formatting shared by the text and Markdown renderers: one way to show a field change, so a plan reads the
 * same in a terminal and in a pull request. Pure.
 */
import { type Action, type FieldChange, isRecord } from '../../core/model.js';
import { canonicalJson } from '../../core/canonical.js';
import { SENSITIVE } from '../../core/secrets.js';

/** How many items of an array (or keys of an object, or added/removed items) are shown before "… and N more". */
export const MAX_ITEMS = 10;
/** Nesting deeper than this prints as `[…]`/`{…}`: nested arrays are capped one by one and would still multiply. */
const MAX_DEPTH = 3;

export interface FormatOptions {
  /** Longer strings are cut (Markdown, where space is capped); the text renderer shows them whole. */
  maxString?: number;
}

/**
 * A field's before/after as a renderer may show it. Masking is repeated here although the plan is built masked:
 * a renderer is the last place a secret could leak, so it does not trust its input. null stays null (it says
 * "not set" and reveals nothing), and undefined becomes null so no output ever drops a key.
 */
export function visible(f: FieldChange, side: 'before' | 'after'): unknown {
  const value = f[side];
  if (value === undefined || value === null) return null;
  return f.sensitive ? SENSITIVE : value;
}

/**
 * Control characters (ANSI escapes, newlines, C1 controls, bidi overrides) written out as `\u001b`-style escapes:
 * addresses, names and messages come from the API or the file, and must not drive the terminal, break a line or
 * reorder what the reader sees.
 */
export function clean(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const items = (n: number) => `${n} ${n === 1 ? 'item' : 'items'}`;
const more = (n: number) => `… and ${n} more`;

/** A value, JSON-ish and on one line: strings quoted, arrays and objects compact and capped. */
export function formatValue(value: unknown, opts: FormatOptions = {}, depth = 0): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return clean(JSON.stringify(cut(value, opts.maxString)));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH && value.length) return '[…]';
    const shown = value.slice(0, MAX_ITEMS).map((v) => formatValue(v, opts, depth + 1));
    if (value.length <= MAX_ITEMS) return `[${shown.join(', ')}]`;
    // A large array leads with its size, so the count is visible even when the items are not.
    return `${items(value.length)} [${[...shown, more(value.length - MAX_ITEMS)].join(', ')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (!entries.length) return '{}';
    if (depth >= MAX_DEPTH) return '{…}';
    const shown = entries.slice(0, MAX_ITEMS).map(([k, v]) => `${clean(JSON.stringify(k))}: ${formatValue(v, opts, depth + 1)}`);
    if (entries.length > MAX_ITEMS) shown.push(more(entries.length - MAX_ITEMS));
    return `{${shown.join(', ')}}`;
  }
  return clean(String(value));
}

function cut(s: string, max: number | undefined): string {
  return max !== undefined && s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

/**
 * Items added to and removed from an array, as multisets compared by canonical JSON: set-like arrays are
 * printed in canonical order by the diff, so position means nothing; for ordered arrays a pure reordering shows
 * as neither added nor removed.
 */
export function arrayDelta(before: readonly unknown[], after: readonly unknown[]): { added: unknown[]; removed: unknown[] } {
  const unmatched = new Map<string, number>();
  for (const v of before) unmatched.set(canonicalJson(v), (unmatched.get(canonicalJson(v)) ?? 0) + 1);
  // Take one unmatched copy of `v` if there is one: each `before` item pairs with at most one `after` item.
  const take = (v: unknown) => {
    const key = canonicalJson(v);
    const n = unmatched.get(key) ?? 0;
    if (n > 0) unmatched.set(key, n - 1);
    return n > 0;
  };
  const added = after.filter((v) => !take(v));
  // What is still unmatched after the pairing was removed.
  const removed = before.filter((v) => take(v));
  return { added, removed };
}

/** `2 items → 3 items (+ "scam", - "foo")`: counts, then what was added and removed, capped. */
function describeArrayUpdate(before: readonly unknown[], after: readonly unknown[], opts: FormatOptions): string {
  const { added, removed } = arrayDelta(before, after);
  // The cap is shared so that a long list of additions cannot hide every removal (and the reverse).
  const addedShown = Math.min(added.length, Math.max(MAX_ITEMS - removed.length, MAX_ITEMS / 2));
  const removedShown = Math.min(removed.length, MAX_ITEMS - addedShown);
  const shown = [
    ...added.slice(0, addedShown).map((v) => `+ ${formatValue(v, opts, 1)}`),
    ...removed.slice(0, removedShown).map((v) => `- ${formatValue(v, opts, 1)}`),
  ];
  const hidden = added.length + removed.length - shown.length;
  if (hidden > 0) shown.push(more(hidden));
  return `${items(before.length)} → ${items(after.length)} (${shown.length ? shown.join(', ') : 'order changed'})`;
}

/**
 * What a field change says, without its path: a create shows the new value, a delete the value it takes away, an update `before → after` (arrays
 * as counts with the items added and removed), a sensitive value only as `(sensitive value)`.
 */
export function describeField(f: FieldChange, action: Action, opts: FormatOptions = {}): string {
  const show = (side: 'before' | 'after') => {
    const v = visible(f, side);
    return f.sensitive && v !== null ? SENSITIVE : formatValue(v, opts);
  };
  // A delete's fields are what the object had: what goes with it. A nested object shows its keys only, not its
  // tree (a call type's settings would fill the screen, and custom data may hold values nobody marked sensitive);
  // `export` keeps a full copy.
  if (action === 'delete') {
    const v = visible(f, 'before');
    if (f.sensitive || v === null || typeof v !== 'object' || Array.isArray(v)) return show('before');
    const keys = Object.keys(v);
    const shown = keys.slice(0, MAX_ITEMS).map((k) => clean(JSON.stringify(k)));
    return `{${[...shown, ...(keys.length > MAX_ITEMS ? [more(keys.length - MAX_ITEMS)] : [])].join(', ')}}`;
  }
  if (action !== 'update') return show('after');
  const before = visible(f, 'before');
  const after = visible(f, 'after');
  // An item of a keyed list (a moderation rule by label) added or removed: its fields as a sentence, not as JSON.
  if (!f.sensitive && after === null && isRecord(before)) return `removed (${fieldsOf(before, opts)})`;
  if (!f.sensitive && before === null && isRecord(after)) return `added (${fieldsOf(after, opts)})`;
  if (!f.sensitive && Array.isArray(before) && Array.isArray(after)) return describeArrayUpdate(before, after, opts);
  return `${show('before')} → ${show('after')}`;
}

/** `label "threat", threshold 0.5, action "remove"`: an object's fields, one level, values as formatValue shows them. */
function fieldsOf(obj: Record<string, unknown>, opts: FormatOptions): string {
  const entries = Object.entries(obj).filter(([, v]) => v !== undefined);
  const shown = entries.slice(0, MAX_ITEMS).map(([k, v]) => `${clean(k)} ${formatValue(v, opts, 1)}`);
  return [...shown, ...(entries.length > MAX_ITEMS ? [more(entries.length - MAX_ITEMS)] : [])].join(', ');
}

/** The three counts of the closing line, from the changes listed: what is printed is what is counted. */
export function countActions(changes: readonly { action: Action }[]): Record<Action, number> {
  const counts: Record<Action, number> = { create: 0, update: 0, delete: 0 };
  for (const c of changes) counts[c.action]++;
  return counts;
}

export const summaryLine = (c: Record<Action, number>) => `Plan: ${c.create} to create, ${c.update} to update, ${c.delete} to delete.`;
export const NO_CHANGES = 'No changes. The app matches the desired state.';

/**
 * Who the plan is for, when the app's name is unknown: the name is read with the app's settings, which a file
 * without an `app:` section does not read; the API key still says which app it is.
 */
export const UNNAMED_APP_NOTE = 'its name is read only when the file has an app: section';
