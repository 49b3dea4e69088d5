import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { type DesiredObject, type FieldOrigin, isRecord, type Rec, type SourceLocation } from '../core/model.js';
import { fromPointer, matchesGlob, overlaps, toPointer } from '../core/pointer.js';
import type { ParsedFile, Substitution } from './yaml/document.js';
import type { YamlPath } from './yaml/locate.js';

/**
 * Layers (`-f base/ -f overlays/prod/`), as kustomize overlays and decK's `file merge` do: a later layer overrides
 * the fields of an address an earlier one declared (objects merge key by key; lists, sets included, and values are
 * replaced whole), adds objects, and removes one only when it says so (`remove: [address]`). Within one layer an
 * address is declared once. Which layer set each value is kept, for `--explain` and for messages.
 */

/** One object as one layer declares it. */
export interface Declared {
  obj: DesiredObject;
  file: ParsedFile;
  /** Where the object's entry stands in its file. */
  entryPath: YamlPath;
  /** Substituted values under the entry, as pointers into `obj.fields`. */
  substitutions: { pointer: string; secret: boolean; variables: string[] }[];
  /**
   * Problems of an overlay's entry taken alone: reported when it adds an object; when it overrides one, a required
   * field left out is the earlier layer's, and the rest is judged on the merged object (`checkMerged`).
   */
  incomplete?: { issue: ConfigIssue; missing: boolean }[];
  /** Problems of the object as the layers merge it (kinds whose fields are the entry as written). */
  checkMerged?(obj: DesiredObject): ConfigIssue[];
}

export interface Layer {
  path: string;
  objects: Map<string, Declared>;
  managedKinds: Set<string>;
  policy?: Rec;
  expectName?: string;
  removes: { address: string; location: SourceLocation }[];
}

export interface Merged {
  objects: Map<string, DesiredObject>;
  managedKinds: Set<string>;
  policy: Rec;
  expectName?: string;
  /** Which layer set each value of an object (undefined for an address not declared). */
  explain(address: string): FieldOrigin[] | undefined;
  /**
   * Where the field at `path` (keys under the object's fields) of a declared object is written, in the layer
   * that set it last; `key`: the line of its key rather than its value. Undefined for an address not declared.
   */
  locate(address: string, path: readonly string[], key?: boolean): SourceLocation | undefined;
}


/** `over` merged onto `base`: plain objects key by key, anything else (lists, values) replaced. */
function mergeFields(base: Rec, over: Rec): Rec {
  const out: Rec = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isRecord(v) && isRecord(base[k]) ? mergeFields(base[k], v) : v;
  return out;
}

/** Whether `fields` sets the value at `pointer` (itself, or a list or value above it that replaces it). */
function sets(fields: Rec, pointer: string): boolean {
  let cur: unknown = fields;
  for (const seg of fromPointer(pointer)) {
    if (!isRecord(cur) || !(seg in cur)) return false;
    cur = cur[seg];
    if (!isRecord(cur)) return true;
  }
  return true;
}

/** Substitutions of one entry, relative to it. */
export function substitutionsUnder(subs: readonly Substitution[], entryPath: YamlPath): Declared['substitutions'] {
  return subs
    .filter((s) => s.path.length > entryPath.length && entryPath.every((seg, i) => s.path[i] === seg))
    .map((s) => ({ pointer: toPointer(s.path.slice(entryPath.length)), secret: s.secret, variables: s.variables }));
}

/** The layers folded into one desired state; a problem (a remove with nothing to remove) is a located issue. */
export function mergeLayers(layers: readonly Layer[], sensitiveVariables: (policy: Rec) => readonly string[]): Merged {
  const issues: ConfigIssue[] = [];
  const history = new Map<string, Declared[]>();
  const managedKinds = new Set<string>();
  let policy: Rec = {};
  let expectName: string | undefined;
  layers.forEach((layer, i) => {
    for (const k of layer.managedKinds) managedKinds.add(k);
    if (layer.policy) policy = mergePolicy(policy, layer.policy);
    expectName = layer.expectName ?? expectName;
    for (const r of layer.removes) {
      if (i === 0) issues.push({ message: `remove: ${r.address}: only a later layer (an overlay given after it with -f) can remove what an earlier one declares`, location: r.location });
      else if (!history.delete(r.address)) issues.push({ message: `remove: ${r.address} is not declared by an earlier layer (${layers.slice(0, i).map((l) => l.path).join(', ')})`, location: r.location });
    }
    for (const [address, declared] of layer.objects) {
      const before = history.get(address);
      if (declared.incomplete) {
        // Alone, every problem counts; over an earlier object, what the merged object's check cannot judge does.
        const counted = !before ? declared.incomplete : declared.checkMerged ? [] : declared.incomplete.filter((p) => !p.missing);
        issues.push(...counted.map((p) => p.issue));
      }
      history.set(address, [...(before ?? []), declared]);
    }
  });
  if (issues.length) throw new ConfigError(issues);

  const secretVars = sensitiveVariables(policy);
  const objects = new Map<string, DesiredObject>();
  for (const [address, chain] of history) {
    const last = chain[chain.length - 1]!;
    const fields = chain.slice(1).reduce((acc, d) => mergeFields(acc, d.obj.fields), chain[0]!.obj.fields);
    // A substituted value counts while no later layer replaced it.
    const sensitive = chain.flatMap((d, i) =>
      d.substitutions.filter((s) => (s.secret || s.variables.some((v) => matchesGlob(secretVars, v))) && !chain.slice(i + 1).some((later) => sets(later.obj.fields, s.pointer))).map((s) => s.pointer),
    );
    // Messages about the object point at the layer that declared it last.
    const merged = { ...last.obj, fields, sensitive };
    if (chain.length > 1 && last.checkMerged) issues.push(...last.checkMerged(merged));
    objects.set(address, merged);
  }
  if (issues.length) throw new ConfigError(issues);
  return {
    objects,
    managedKinds,
    policy,
    expectName,
    locate(address, path, key) {
      const chain = history.get(address);
      if (!chain) return undefined;
      const from = [...chain].reverse().find((d) => sets(d.obj.fields, toPointer([...path]))) ?? chain[chain.length - 1]!;
      const at = [...from.entryPath, ...path];
      return key && path.length ? from.file.locateKey(at.slice(0, -1), String(at[at.length - 1])) : from.file.locate(at);
    },
    explain(address) {
      const chain = history.get(address);
      const obj = objects.get(address);
      if (!chain || !obj) return undefined;
      return leaves(obj.fields).map(([pointer, value]) => {
        const from = [...chain].reverse().find((d) => sets(d.obj.fields, pointer)) ?? chain[0]!;
        // Lists are whole values, so a pointer never goes into one: its segments are the YAML keys.
        const location = from.file.locate([...from.entryPath, ...fromPointer(pointer)]);
        // A list is one value here: it is sensitive when anything in it is.
        return { path: pointer, value, sensitive: obj.sensitive.some((s) => overlaps(s, pointer)), location, layer: layerOf(layers, from) };
      });
    },
  };
}

/**
 * Lists that keep things safe add up across layers: an overlay can protect, ignore, report only or mask more,
 * never less (narrowing `ignore` in prod's overlay must not turn on deletes the base excluded). Other keys
 * (`prune`, `max_deletes`, …) are the overlay's when it sets them.
 */
const ADDITIVE = ['protect', 'ignore', 'report_only', 'sensitive_variables'];

function mergePolicy(base: Rec, over: Rec): Rec {
  const out: Rec = { ...base, ...over };
  for (const key of ADDITIVE) {
    if (Array.isArray(base[key]) && Array.isArray(over[key])) out[key] = [...new Set([...(base[key] as unknown[]), ...(over[key] as unknown[])])];
  }
  if (isRecord(base.ignore_fields) && isRecord(over.ignore_fields)) out.ignore_fields = { ...base.ignore_fields, ...over.ignore_fields };
  return out;
}

/** Every value of an object that is not a plain object, by pointer (a list is one value). */
function leaves(fields: Rec, prefix: string[] = []): [string, unknown][] {
  return Object.entries(fields).flatMap(([k, v]): [string, unknown][] => (isRecord(v) && Object.keys(v).length ? leaves(v, [...prefix, k]) : [[toPointer([...prefix, k]), v]]));
}

function layerOf(layers: readonly Layer[], d: Declared): string {
  return layers.find((l) => [...l.objects.values()].includes(d))?.path ?? '';
}
