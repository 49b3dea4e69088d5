import type { z } from 'zod';
import type { Api, ApiRequest } from '../core/api.js';
import type { Change, DesiredObject, DesiredState, Inventories, LiveObject, LiveState, Policy, Rec } from '../core/model.js';
import type { ChangeInput, PlanKind } from '../plan/facets.js';
import type { Plan, PlannedChange } from '../plan/plan.js';

export type { ChangeInput } from '../plan/facets.js';

/** A desired object as a kind's section yields it, before addresses and locations are attached. */
export interface DesiredEntry {
  kind: string;
  fields: Rec;
  /** Where the object sits in the file (YAML path), for error locations. */
  path: (string | number)[];
}

/**
 * Changes of one kind and action the API carries out together rather than one by one (UpdateUsers takes 100
 * users; DeleteUsers answers one task to await): the executor hands the matching changes of one kind and phase to
 * `run` as a group.
 */
export interface ChangeBatcher {
  kind: string;
  action: 'create' | 'update' | 'delete';
  /**
   * Carries out the changes, calling `done` once for each as it finishes (with an error message when it failed),
   * so the objects that wait for it can go on while later batches are still under way.
   */
  run(changes: readonly PlannedChange[], api: Api, done: (address: string, error?: string) => void): Promise<void>;
}

/** How async tasks (DeleteUsers) are awaited. */
export interface TaskWait {
  /** How long one task may take before its changes count as failed. Default 120 s. */
  timeoutMs: number;
  /** The first pause between GetTask polls; it doubles up to `maxPollMs`. */
  pollMs: number;
  maxPollMs: number;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** What an apply reports, change by change. */
export interface ApplyResult {
  applied: string[];
  failed: { address: string; action: string; error: string }[];
  /** Changes not attempted because a change they depend on failed. */
  skipped: { address: string; reason: string }[];
  /** Changes not started, or cut short between their requests, because the run was interrupted (SIGINT, SIGTERM). */
  interrupted: { address: string; action: string }[];
}

/** One live check Stream offers (CheckPush, CheckSQS, …) for a declared object. */
export interface LiveCheck {
  /** As printed: the operation, the address, and what of it (`CheckPush push_provider/firebase/acme-fcm (message.new)`). */
  name: string;
  address: string;
  /** The request, or why the check cannot run (a skip is not a failure). */
  request?: ApiRequest;
  skip?: string;
  /** Why the answer is a failure; undefined for a pass. */
  verdict?(res: Rec): string | undefined;
  /** Whether an applied change touches what this check checks (`apply --verify`). */
  touchedBy(change: Pick<Change, 'address' | 'action' | 'fields'>): boolean;
}

/** What the plan learned beyond the kinds' fetches, and how it marks the plan once built. */
export interface LiveExtension {
  live: LiveState;
  annotate?(plan: Plan): Plan;
}

/**
 * Everything stream-sync knows about one kind of object: its planner facets (`PlanKind`: field classes, order,
 * pruning), its file form, its API, and optional hooks. The engine, the executor, the state file and the commands
 * loop over the registry (`kinds/registry.ts`) and name no kind: adding a kind is one module and one registry line.
 * `defineKind` (define.ts) fills in the defaults.
 */
export interface KindSpec extends PlanKind {
  /** The section's schema (zod, the single source of the validator, the types and the JSON Schema). */
  schema?: z.ZodType;
  singleton?: boolean;
  /** The objects a validated section declares (for a section that also declares nested kinds, those too). */
  entries?(section: unknown): DesiredEntry[];
  address(fields: Rec): string;
  /**
   * Pruned by inventory: only objects stream-sync managed before (the state file) are deleted when they leave the
   * file, so an undeclared object is never implied to be deleted (users: an app can have millions).
   */
  prunedByInventory?: boolean;
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
  /** Whether `export` writes this kind without `--kinds` naming it (default true; polls are mostly end users'). */
  exportByDefault?: boolean;

  // Hooks: what a kind adds to the generic pipeline, each optional.

  /** The app's name, from this kind's live object (the `app.expect_name` guard and the plan's target). */
  appName?(live: LiveObject): string | undefined;
  /** The `app.expect_name` guard's value, from this kind's validated section. */
  expectName?(section: unknown): string | undefined;
  /**
   * Reads the plan needs beyond the kinds' fetches, once they are done (users: soft-deleted declared users to
   * restore, and the inventory's users that left the file), and marks the plan once built.
   */
  extendLive?(api: Api, ctx: { desired: DesiredState; live: LiveState; inventories: Inventories }): Promise<LiveExtension>;
  /** Executors for changes the API carries out in batches. */
  batchers?(ctx: { policy: Policy; taskWait?: Partial<TaskWait> }): readonly ChangeBatcher[];
  /** After an apply (even of an empty plan): what the state file's inventories learn. */
  afterApply?(ctx: { inventories: Inventories; desired: DesiredState; plan: Plan; result: ApplyResult }): void;
  /** The live checks Stream offers for one declared object of this kind (`check`, `apply --verify`). */
  checks?(obj: DesiredObject, desired: DesiredState): LiveCheck[];
}
