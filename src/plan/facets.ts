import type { Action, DesiredObject, FieldChange, LiveObject, Rec } from '../core/model.js';

/**
 * What the pure planner needs to know of a kind: how its fields compare (field classes), where it sits in the
 * order, and what may be deleted. Kinds (`kinds/types.ts`) extend this with their file form and their API; the
 * planner is handed the registry and never imports it.
 *
 * Field lists are JSON-pointer patterns relative to the object (`/words`, `/settings/grants/*`); `*` matches
 * one segment (a map key or an array index).
 */
export interface PlanKind {
  kind: string;
  /** The file's top-level key for this kind. Kinds declared inside another kind's section (push templates) have none. */
  section?: string;
  /** Another kind whose section declares this one (and makes it managed). */
  declaredIn?: string;
  /** Kinds whose creates and updates must land before this kind's creates and updates. */
  dependsOn: readonly string[];
  /**
   * Of `dependsOn`, the kinds this kind's creates and updates wait for object by object rather than as a whole:
   * each change starts once the changes of the objects its `refs` name are done (a group once its members exist,
   * while other users are still being created). Only for kinds whose `refs` name every object of those kinds that
   * a change needs.
   */
  waitsPerObject?: readonly string[];
  /** Kinds whose creates and updates release references to objects of this kind: they run before its deletes. */
  releasedBy?: readonly string[];
  /**
   * The same edge declared from the other side, so that a new kind says it in its own module: this kind's creates
   * and updates release references to objects of these kinds, and run before their deletes.
   */
  releases?: readonly string[];
  /** Addresses an object refers to: when one of their changes fails, this object's change is skipped. */
  refs?(fields: Rec): string[];
  /**
   * Where each reference is written (path of keys under the object's fields; `key`: the reference is the last
   * key itself, as a grant's role is), so that a message about it points at its line. Optional: without it,
   * messages point at the object.
   */
  refsAt?(fields: Rec): RefAt[];
  /** Stream's published limit on how many objects of this kind an app holds; a plan past it is refused. */
  quota?: Quota;
  /** Secret fields: write-only and never printed. */
  secretFields: readonly string[];
  /** Fields the API never reads back: compared by the fingerprint recorded in the state file when last applied. */
  writeOnlyFields: readonly string[];
  /** Arrays compared without order. */
  setFields: readonly string[];
  /**
   * Arrays of objects compared as maps by one of their fields (pattern → that field: `/automod_toxicity_config/rules`
   * → `label`): each item is compared on its declared fields at `<array>/<key>/…`, so a plan reads
   * `/automod_toxicity_config/rules/toxic/threshold: 0.7 → 0.8`; a live item whose key the file does not list is a
   * removal. The whole array is managed: the kind writes exactly the declared items.
   */
  keyedLists?: Readonly<Record<string, string>>;
  /**
   * Of `setFields`, those whose strings the API matches whatever their case (for this object's fields): compared
   * case-insensitively, as sets; two items equal but for case are a plan warning.
   */
  caseInsensitiveFields?(fields: Rec): readonly string[];
  /** Fields that identify the object (part of the address); never shown as changes. */
  identityFields: readonly string[];
  /** Fields the API cannot change after creation: a difference is a plan warning, not a change. */
  immutableFields?: readonly string[];
  /** Whether `policy.prune` may name this kind (deletes exist in the API). */
  prunable: boolean;
  /** Built-ins are never deleted and never shown as drift. */
  isBuiltin?(live: LiveObject): boolean;
  /**
   * The object's top-level file fields, in the schema's order: what a delete lists of the object it removes (live
   * fields beyond them are the server's bookkeeping, e.g. a poll's option ids). Without it, a delete lists none.
   */
  fileFields?: readonly string[];
  /** Consequences of a change the user should read in the plan (e.g. a block the API replaces whole). */
  warnings?(change: ChangeInput): string[];
}

export interface RefAt {
  ref: string;
  path: string[];
  key?: boolean;
}

export interface Quota {
  max: number;
  /** Built-ins count towards the limit (block lists: "15 in total"); otherwise only custom objects do. */
  builtinsCount?: boolean;
  /** The objects, plural, as the message names them: "custom roles". */
  what: string;
}

/** One planned change as a kind sees it (its requests, its warnings). */
export interface ChangeInput {
  action: Action;
  address: string;
  desired?: DesiredObject;
  live?: LiveObject;
  /** The field changes of the plan (for updates: only what differs). */
  fields: FieldChange[];
}

/** The kind an address (`kind/name…`) belongs to. */
export function kindOfAddress(address: string): string {
  const slash = address.indexOf('/');
  return slash < 0 ? address : address.slice(0, slash);
}

/** The kind named `kind` in `registry`; a name no kind has is a bug of ours, not the user's. */
export function kindIn<K extends PlanKind>(registry: readonly K[], kind: string): K {
  const k = registry.find((r) => r.kind === kind);
  if (!k) throw new Error(`unknown kind ${kind}`);
  return k;
}
