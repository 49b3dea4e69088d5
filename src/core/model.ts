/**
 * The shapes the pipeline passes along: desired files → DesiredState, live API → LiveState, both paired by
 * address → Plan → apply. Types only.
 */
export type Rec = Record<string, unknown>;

/** A plain object (a JSON object), not an array or null. */
export const isRecord = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);
export type Action = 'create' | 'update' | 'delete';

export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/** One object the file declares, in its kind's desired shape (the API's own field names). */
export interface DesiredObject {
  kind: string;
  address: string;
  /** What the user declared, after `${env:}`/`${file:}` substitution. Only these fields are managed. */
  fields: Rec;
  /** JSON pointers into `fields` whose values are sensitive (secret fields and substituted values). */
  sensitive: string[];
  location?: SourceLocation;
}

/** One object as the API reports it, normalized into its kind's desired shape. */
export interface LiveObject {
  kind: string;
  address: string;
  fields: Rec;
  /** Built-ins (roles and permissions with `custom: false`, the built-in block list) are never deleted. */
  builtin?: boolean;
}

export interface Policy {
  prune: string[];
  max_deletes?: number;
  /** The percentage of each endpoint's rate-limit window stream-sync may use (`--rate-share` wins). */
  rate_share?: number;
  protect: string[];
  ignore: string[];
  ignore_fields: Record<string, string[]>;
  user_delete?: 'soft' | 'pruning' | 'hard';
  check_user_id?: string;
  /** Variables (globs) whose `${env:…}` values are secret: masked in every output like `${secret:…}`. */
  sensitive_variables?: string[];
  /** Sections or address globs whose live drift is reported, not corrected (changes of the file still apply). */
  report_only?: string[];
}

/** Which layer set one value of a declared object (`--explain`). */
export interface FieldOrigin {
  path: string;
  value: unknown;
  sensitive: boolean;
  location: SourceLocation;
  /** The `-f` path of the layer. */
  layer: string;
}

export interface DesiredState {
  /** Kinds whose section the file declares: only these are read, diffed and written. */
  managedKinds: Set<string>;
  objects: Map<string, DesiredObject>;
  policy: Policy;
  /** `app.expect_name`, when set. */
  expectName?: string;
  /** The files the state was read from. */
  files: string[];
  /** Which layer set each value of a declared object (undefined for an address the file does not declare). */
  explain?(address: string): FieldOrigin[] | undefined;
}

export interface LiveState {
  objects: Map<string, LiveObject>;
  appName?: string;
}

export interface FieldChange {
  /** JSON pointer relative to the object, e.g. `/settings/sqs_secret`. */
  path: string;
  before: unknown;
  after: unknown;
  sensitive: boolean;
}

export interface Change {
  address: string;
  kind: string;
  action: Action;
  fields: FieldChange[];
}

export interface PlanWarning {
  address: string;
  message: string;
}

/** The plan as printed with `--format json` and saved with `--out`: exactly the contract's fields. */
export interface PlanDocument {
  format_version: '1';
  target: { base_url: string; api_key: string; app_name: string | null };
  summary: { create: number; update: number; delete: number; unchanged: number };
  changes: Change[];
  warnings: PlanWarning[];
  live_fingerprint: string;
  /**
   * Present when the plan writes sensitive values (secrets, substituted `${...}` values), which it prints masked:
   * a digest of their keyed fingerprints, so that `apply --plan` can tell that they are still the values planned.
   */
  sensitive_fingerprint?: string;
  /**
   * Differences `policy.report_only` keeps from being corrected: the app moved since the file's version was
   * applied. Reported (and warned about), never executed.
   */
  drift?: Change[];
  /**
   * What the plan depends on, by address: a digest of each object it updates or deletes as it was read (for an
   * update, only the fields the file declares), and `null` for each object it creates (absent). `apply --plan`
   * refuses when one of these moved, and names it; changes elsewhere in the app leave the plan valid.
   */
  depends_on?: Record<string, string | null>;
}

/** How the diff learns what a write-only value was when last applied (the state file's fingerprints). */
export interface WriteOnlyMemory {
  fingerprint(address: string, path: string, value: unknown): string;
  applied(address: string, path: string): string | undefined;
  /** The paths of `address` with a fingerprint recorded (secrets, write-only and sensitive values it was applied with). */
  recordedPaths?(address: string): readonly string[];
}

/**
 * Lists of ids the state file keeps for a kind, by slot name (users: the ids stream-sync has managed, which user
 * pruning reads). The state file stores them; what a slot means belongs to the kind that owns it.
 */
export interface Inventories {
  inventory(slot: string): string[];
  setInventory(slot: string, ids: Iterable<string>): void;
}
