import equal from 'fast-deep-equal';
import { type DesiredObject, type FieldChange, isRecord, type LiveObject, type Rec, type WriteOnlyMemory } from '../core/model.js';
import { SENSITIVE } from '../core/secrets.js';
import type { PlanKind } from './facets.js';
import { canonicalJson, sortedSet } from '../core/canonical.js';
import { matchesAny, overlaps, patternOverlaps, toPointer } from '../core/pointer.js';

export interface DiffOptions {
  spec: Pick<PlanKind, 'secretFields' | 'writeOnlyFields' | 'setFields' | 'identityFields' | 'caseInsensitiveFields' | 'keyedLists'>;
  /** Pointer patterns that are never compared nor written (`policy.ignore_fields`). */
  ignoredFields: readonly string[];
  memory: WriteOnlyMemory;
}


/**
 * The field changes that make `live` equal to `desired` on the fields the desired object declares. Pure.
 *
 * - Only declared fields are compared; objects are compared on their declared keys, recursively (a removed
 *   field is no longer managed, never reset).
 * - Set-like arrays compare without order and print in canonical order.
 * - Write-only fields (secrets among them) are never read back: they differ when their keyed fingerprint
 *   differs from the one recorded when they were last applied.
 * - With no live object (a create), every declared field is a change from null.
 */
export function diffFields(desired: DesiredObject, live: LiveObject | undefined, opts: DiffOptions): FieldChange[] {
  const { spec, ignoredFields, memory } = opts;
  const out: FieldChange[] = [];
  const foldCase = spec.caseInsensitiveFields?.(desired.fields) ?? [];
  // Sensitive pointers inside keyed lists, said by key (the file's pointers are by index): filled as they are met.
  const byKey: string[] = [];
  // A value is sensitive when it is, holds or sits inside a secret or a substituted value.
  const isSensitive = (path: string) =>
    spec.secretFields.some((p) => patternOverlaps(p, path)) || desired.sensitive.some((s) => overlaps(s, path)) || byKey.some((s) => overlaps(s, path));
  const show = (path: string, value: unknown) => {
    if (value === undefined) return null;
    if (isSensitive(path)) return value === null ? null : SENSITIVE;
    return matchesAny(spec.setFields, path) && Array.isArray(value) ? sortedSet(value) : value;
  };

  const walk = (want: unknown, have: unknown, segments: string[]) => {
    const path = toPointer(segments);
    if (matchesAny(ignoredFields, path)) return;
    if (segments.length === 1 && spec.identityFields.includes(segments[0]!)) return;
    const sensitive = isSensitive(path);
    if (matchesAny(spec.writeOnlyFields, path) || matchesAny(spec.secretFields, path)) {
      const fp = memory.fingerprint(desired.address, path, want);
      if (!live || memory.applied(desired.address, path) !== fp) {
        out.push({ path, before: live && sensitive ? SENSITIVE : null, after: show(path, want), sensitive });
      }
      return;
    }
    const keyed = keyedListsAt(spec.keyedLists, path, want, have);
    if (keyed) {
      (want as Rec[]).forEach((item, i) => {
        const at = `${path}/${i}`;
        for (const p of desired.sensitive) if (p === at || p.startsWith(`${at}/`)) byKey.push(`${toPointer([...segments, String(item[keyed.field])])}${p.slice(at.length)}`);
      });
      const gone = (itemSegments: string[], value: unknown) => {
        const at = toPointer(itemSegments);
        out.push({ path: at, before: show(at, value), after: null, sensitive: isSensitive(at) });
      };
      for (const [key, item] of keyed.want) {
        // The key is in the path; the item is the file's: compared on its other fields, and what the app's item
        // has beyond them goes (empty values aside, which the API fills in).
        const { [keyed.field]: _key, ...rest } = item as Rec;
        const haveItem = keyed.have?.get(key) as Rec | undefined;
        const itemSegments = [...segments, key];
        if (Object.keys(rest).length) walk(rest, haveItem, itemSegments);
        else if (!haveItem) out.push({ path: toPointer(itemSegments), before: null, after: show(toPointer(itemSegments), item), sensitive: isSensitive(toPointer(itemSegments)) });
        for (const [field, value] of Object.entries(haveItem ?? {})) if (field !== keyed.field && !(field in rest) && !isEmptyValue(value)) gone([...itemSegments, field], value);
      }
      for (const [key, value] of keyed.have ?? []) if (!keyed.want.has(key)) gone([...segments, key], value);
      return;
    }
    if (isRecord(want) && !matchesAny(spec.setFields, path)) {
      const haveObj = isRecord(have) ? have : undefined;
      for (const key of Object.keys(want)) walk(want[key], haveObj?.[key], [...segments, key]);
      // An explicitly empty object is a declared value of its own.
      if (Object.keys(want).length === 0 && !equal(want, have ?? {})) out.push({ path, before: show(path, have), after: {}, sensitive });
      return;
    }
    const isSet = matchesAny(spec.setFields, path);
    if (live && (isSet && matchesAny(foldCase, path) ? sameFoldedSet(want, have) : sameValue(want, have, isSet))) return;
    out.push({ path, before: live ? show(path, have) : null, after: show(path, want), sensitive });
  };

  for (const key of Object.keys(desired.fields)) walk(desired.fields[key], live?.fields[key], [key]);
  return out;
}

/** Sets of strings the API matches whatever their case: equal when they hold the same strings, lowercased. */
/** An array of objects keyed by `field` (undefined when an item has no such string field, or two share one). */
function byKeyField(items: readonly unknown[], field: string): Map<string, unknown> | undefined {
  const out = new Map<string, unknown>();
  for (const item of items) {
    const key = isRecord(item) ? item[field] : undefined;
    if (typeof key !== 'string' || out.has(key)) return undefined;
    out.set(key, item);
  }
  return out;
}

const isEmptyValue = (v: unknown) => v === null || v === '' || (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);

/** The declared and live arrays at `path` as maps by their key field, when `path` is a keyed list and both key cleanly. */
function keyedListsAt(lists: Readonly<Record<string, string>> | undefined, path: string, want: unknown, have: unknown) {
  if (!lists || !Array.isArray(want)) return undefined;
  const field = Object.entries(lists).find(([pattern]) => matchesAny([pattern], path))?.[1];
  if (!field) return undefined;
  const wantMap = byKeyField(want, field);
  const haveMap = have === undefined || have === null ? undefined : Array.isArray(have) ? byKeyField(have, field) : undefined;
  if (!wantMap || (have !== undefined && have !== null && !haveMap)) return undefined;
  return { field, want: wantMap, have: haveMap };
}

function sameFoldedSet(want: unknown, have: unknown): boolean {
  if (!Array.isArray(want) || !Array.isArray(have)) return equal(want, have);
  const fold = (v: unknown) => (typeof v === 'string' ? `s${v.toLowerCase()}` : `j${canonicalJson(v)}`);
  const wanted = new Set(want.map(fold));
  const held = new Set(have.map(fold));
  return wanted.size === held.size && [...wanted].every((k) => held.has(k));
}

/** Items of a case-insensitive set that are equal but for case (`Scam` and `scam`): each group once. */
export function caseDuplicates(items: readonly unknown[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const v of items) {
    if (typeof v !== 'string') continue;
    const k = v.toLowerCase();
    const g = groups.get(k);
    if (g) g.push(v);
    else groups.set(k, [v]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

function sameValue(want: unknown, have: unknown, isSet: boolean): boolean {
  if (want === null && have === undefined) return true;
  if (isSet && Array.isArray(want) && Array.isArray(have)) return sameMultiset(want, have);
  return equal(want, have);
}

/**
 * Set-like arrays are equal when they hold the same items as many times, in any order. Linear: a block list of
 * 10,000 words is compared on every plan. Strings (nearly every set) are their own key; other items are keyed by
 * their canonical JSON, in a namespace of their own so the string `1` never meets the number 1.
 */
function sameMultiset(want: readonly unknown[], have: readonly unknown[]): boolean {
  if (want.length !== have.length) return false;
  // Written in the order the API keeps them: nothing to count.
  let i = 0;
  while (i < want.length && typeof want[i] === 'string' && want[i] === have[i]) i++;
  if (i === want.length) return true;
  const strings = want.every((v) => typeof v === 'string') && have.every((v) => typeof v === 'string');
  const key = strings ? (v: unknown) => v as string : (v: unknown) => (typeof v === 'string' ? `s${v}` : `j${canonicalJson(v)}`);
  const counts = new Map<string, number>();
  for (const v of want) {
    const k = key(v);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const v of have) {
    const k = key(v);
    const n = counts.get(k);
    if (!n) return false;
    counts.set(k, n - 1);
  }
  return true;
}

/**
 * What a delete lists of the object it removes: its file fields as the app has them, top level, in the schema's
 * order; not its identity (the address says it), not what the API never reads back (secrets, write-only fields),
 * nothing empty or false. A field that holds a secret deeper down, or that the state file recorded as applied
 * with a sensitive value, is shown only as sensitive.
 */
export function deletedFields(spec: Pick<PlanKind, 'fileFields' | 'secretFields' | 'writeOnlyFields' | 'identityFields' | 'setFields'>, live: LiveObject, memory?: WriteOnlyMemory): FieldChange[] {
  const out: FieldChange[] = [];
  // What the object was applied with as sensitive (a `${secret:}`, `${file:}` or sensitive variable) stays masked.
  const recorded = memory?.recordedPaths?.(live.address) ?? [];
  for (const key of spec.fileFields ?? []) {
    const path = toPointer([key]);
    const value = live.fields[key];
    // Nothing empty or off: a delete reads as what the object had, not as a list of features it did not use.
    if (spec.identityFields.includes(key) || value === undefined || value === null || value === '' || value === false) continue;
    if (matchesAny(spec.writeOnlyFields, path) || matchesAny(spec.secretFields, path)) continue;
    if ((isRecord(value) && Object.keys(value).length === 0) || (Array.isArray(value) && value.length === 0)) continue;
    if (spec.secretFields.some((p) => patternOverlaps(p, path)) || recorded.some((p) => overlaps(p, path))) out.push({ path, before: SENSITIVE, after: null, sensitive: true });
    else out.push({ path, before: matchesAny(spec.setFields, path) && Array.isArray(value) ? sortedSet(value) : value, after: null, sensitive: false });
  }
  return out;
}
