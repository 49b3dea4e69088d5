import type { Api, ApiRequest } from '../core/api.js';
import type { z } from 'zod';
import type { Action, DesiredObject, FieldChange, LiveObject, Rec } from '../core/model.js';

/** A desired object as a kind's section yields it, before addresses and locations are attached. */
export interface DesiredEntry {
  kind: string;
  fields: Rec;
  /** Where the object sits in the file (YAML path), for error locations. */
  path: (string | number)[];
}

/** What `requests()` gets for one planned change. */
export interface ChangeInput {
  action: Action;
  address: string;
  desired?: DesiredObject;
  live?: LiveObject;
  /** The field changes of the plan (for updates: only what differs). */
  fields: FieldChange[];
}

/**
 * Everything stream-sync knows about one kind of object. The diff engine, the ordering, the executor and the
 * renderers are generic: adding a kind means adding one of these to `kinds/index.ts`, nothing else.
 *
 * Field lists are JSON-pointer patterns relative to the object (`/words`, `/settings/grants/*`); `*` matches
 * one segment (a map key or an array index).
 */
export interface KindSpec {
  kind: string;
  /** The file's top-level key for this kind. Kinds declared inside another kind's section (push templates) have none. */
  section?: string;
  /** The section's schema (zod, the single source of the validator, the types and the JSON Schema). */
  schema?: z.ZodType;
  /** Another kind whose section declares this one (and makes it managed). */
  declaredIn?: string;
  singleton?: boolean;
  /** The objects a validated section declares (for a section that also declares nested kinds, those too). */
  entries?(section: unknown): DesiredEntry[];
  address(fields: Rec): string;
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
  /** Addresses an object refers to: when one of their changes fails, this object's change is skipped. */
  refs?(fields: Rec): string[];
  /** Secret fields: write-only and never printed. */
  secretFields: readonly string[];
  /** Fields the API never reads back: compared by the fingerprint recorded in the state file when last applied. */
  writeOnlyFields: readonly string[];
  /** Arrays compared without order. */
  setFields: readonly string[];
  /** Fields that identify the object (part of the address); never shown as changes. */
  identityFields: readonly string[];
  /** Fields the API cannot change after creation: a difference is a plan warning, not a change. */
  immutableFields?: readonly string[];
  /** Whether `policy.prune` may name this kind (deletes exist in the API). */
  prunable: boolean;
  /**
   * Pruned by inventory: only objects stream-sync managed before (the state file) are deleted when they leave the
   * file, so an undeclared object is never implied to be deleted (users: an app can have millions).
   */
  prunedByInventory?: boolean;
  /** Built-ins are never deleted and never shown as drift. */
  isBuiltin?(live: LiveObject): boolean;
  /** Addresses every app has (built-ins), known without reading the app: offline reference checks accept them. */
  builtins?: readonly string[];
  /**
   * Reads the live objects of this kind that the plan needs, normalized into the desired shape. `desired` holds
   * this kind's declared objects; `all` every declared object (for kinds whose reads follow another's).
   * `complete` says whether undeclared live objects are needed (pruning, export). `referenced`: addresses of
   * this kind that declared objects refer to (a kind read by id, such as users, reads those too, so references
   * to undeclared but existing objects check out). `forExport`: undeclared objects are needed whole, as `toFile`
   * writes them (pruning only needs their addresses).
   */
  fetch(api: Api, desired: DesiredObject[], opts: { complete: boolean; referenced?: readonly string[]; forExport?: boolean; all?: readonly DesiredObject[] }): Promise<LiveObject[]>;
  /** Consequences of a change the user should read in the plan (e.g. a block the API replaces whole). */
  warnings?(change: ChangeInput): string[];
  /** The requests that realise one change, in order. */
  requests(change: ChangeInput): ApiRequest[];
  /**
   * For a non-idempotent create that failed ambiguously (timeout, reset, 5xx): the object as it now exists, or
   * undefined. The executor treats a found object as created.
   */
  reread?(api: Api, desired: DesiredObject): Promise<LiveObject | undefined>;
  /**
   * Reading this kind costs a request per object anyway (user groups: GetUserGroup for each), so the read-back
   * after apply re-reads each applied object with `reread` as soon as it is written, while the other writes go
   * on, instead of reading the whole kind again once they are all done.
   */
  readBackEach?: boolean;
  /**
   * The file entry `export` writes for a live object (`all` holds every live object read, for kinds that gather
   * nested ones, e.g. a provider's templates). Secrets the API never returns become `${env:…}` placeholders.
   * Kinds without it are not exported.
   */
  toFile?(live: LiveObject, all: readonly LiveObject[]): Rec;
}
