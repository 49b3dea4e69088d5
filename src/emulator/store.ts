/**
 * In-memory state of every emulated app. Objects are kept in the API's read shape (what GET answers), with
 * write-only values (secrets, credentials) in separate maps that no response ever reads. Timestamps are
 * RFC 3339 strings, so the whole state serializes to JSON for `--data FILE`.
 */
export type Rec = Record<string, any>;

export interface Quotas {
  blocklists: number;
  blocklistWords: number;
  blocklistWordLength: number;
  blocklistNameLength: number;
  customRoles: number;
  roleNameLength: number;
  pushProviders: number;
  pushProviderNameLength: number;
  userGroupMembersPerCall: number;
  usersPerPartialUpdate: number;
  usersPerUpdate: number;
  queryUsersLimit: number;
  queryUsersOffset: number;
  userSearchDisallowedRoles: number;
}

export const PUBLISHED_QUOTAS: Quotas = {
  blocklists: 15,
  blocklistWords: 10_000,
  blocklistWordLength: 40,
  blocklistNameLength: 255,
  customRoles: 25,
  roleNameLength: 64,
  pushProviders: 25,
  pushProviderNameLength: 36,
  userGroupMembersPerCall: 100,
  usersPerPartialUpdate: 100,
  usersPerUpdate: 100,
  queryUsersLimit: 100,
  queryUsersOffset: 1000,
  userSearchDisallowedRoles: 10,
};

/** The outcome a check endpoint answers for one target (`push/<type>/<name>`, `sns`, `sqs`, `external_storage/<name>`, `importer`). */
export interface CheckOutcome {
  ok: boolean;
  message?: string;
}

export interface TaskRecord {
  id: string;
  type: string;
  created_at: string;
  /** ms since epoch at which the task turns running, then completed/failed. */
  running_at: number;
  done_at: number;
  result?: Rec;
  error?: { type: string; description: string; stacktrace: string; version: string };
  /**
   * Applied once, when the task completes. Not persisted: the emulator runs every unfinished task before saving on
   * close, and a task restored unfinished (saved before its work ran) is marked failed on load.
   */
  finish?: () => { result?: Rec; error?: string };
  finished?: boolean;
}

export interface AppState {
  key: string;
  secret: string;
  /** GetApp's `app` object (AppResponseFields), read model. */
  settings: Rec;
  /** Write-only app settings (secrets, push configs, …): stored, never echoed. */
  settingsWriteOnly: Rec;
  blocklists: Map<string, Rec>;
  roles: Map<string, Rec>;
  permissions: Map<string, Rec>;
  /** key `${type}/${name}` → read model of the provider (no credentials). */
  pushProviders: Map<string, Rec>;
  pushProviderSecrets: Map<string, Rec>;
  /** key `${type}/${name}/${event_type}` → template. */
  pushTemplates: Map<string, Rec>;
  /** name → read model `{name, bucket, path, type}` plus server fields. */
  externalStorages: Map<string, Rec>;
  externalStorageSecrets: Map<string, Rec>;
  importerStorage: Rec | null;
  importerStorageSecrets: Rec | null;
  users: Map<string, Rec>;
  /** key `${user_id}/${device_id}` */
  devices: Map<string, Rec>;
  /** key `${user_id}/${blocked_user_id}` */
  blockedUsers: Map<string, Rec>;
  userGroups: Map<string, Rec>;
  polls: Map<string, Rec>;
  pollVotes: Map<string, Rec[]>;
  /** key `${user_id}` or `${user_id}/${channel_cid}` */
  pushPreferences: Map<string, Rec>;
  imports: Map<string, Rec>;
  importsV2: Map<string, Rec>;
  uploads: Map<string, Rec>;
  liveLocations: Map<string, Rec>;
  tasks: Map<string, TaskRecord>;
  checkOutcomes: Map<string, CheckOutcome>;
}

const MAP_FIELDS = [
  'blocklists',
  'roles',
  'permissions',
  'pushProviders',
  'pushProviderSecrets',
  'pushTemplates',
  'externalStorages',
  'externalStorageSecrets',
  'users',
  'devices',
  'blockedUsers',
  'userGroups',
  'polls',
  'pollVotes',
  'pushPreferences',
  'imports',
  'importsV2',
  'uploads',
  'liveLocations',
  'tasks',
  'checkOutcomes',
] as const satisfies readonly (keyof AppState)[];

export function emptyApp(key: string, secret: string): AppState {
  const app: Partial<AppState> = { key, secret, settings: {}, settingsWriteOnly: {}, importerStorage: null, importerStorageSecrets: null };
  for (const f of MAP_FIELDS) (app as Rec)[f] = new Map();
  return app as AppState;
}

/** JSON form of an app for `--data FILE`: maps become arrays of entries; task callbacks are dropped. */
export function serializeApp(app: AppState): Rec {
  const out: Rec = { key: app.key, secret: app.secret, settings: app.settings, settingsWriteOnly: app.settingsWriteOnly, importerStorage: app.importerStorage, importerStorageSecrets: app.importerStorageSecrets };
  for (const f of MAP_FIELDS) {
    out[f] = [...(app[f] as Map<string, unknown>).entries()].map(([k, v]) =>
      f === 'tasks' ? [k, { ...(v as TaskRecord), finish: undefined }] : [k, v],
    );
  }
  return out;
}

/** The error of a task whose work was lost: it was saved unfinished and the emulator restarted. */
export const RESTARTED_TASK_ERROR = 'the emulator restarted before the task ran';

export function deserializeApp(raw: Rec): AppState {
  const app = emptyApp(String(raw.key), String(raw.secret));
  app.settings = raw.settings ?? {};
  app.settingsWriteOnly = raw.settingsWriteOnly ?? {};
  app.importerStorage = raw.importerStorage ?? null;
  app.importerStorageSecrets = raw.importerStorageSecrets ?? null;
  for (const f of MAP_FIELDS) {
    const entries = Array.isArray(raw[f]) ? (raw[f] as [string, unknown][]) : [];
    (app as Rec)[f] = new Map(entries);
  }
  for (const task of app.tasks.values()) {
    if (task.finished) continue;
    // Its work (`finish`) cannot be restored: report the task failed rather than completed with no effect.
    task.finished = true;
    task.running_at = task.done_at = Date.parse(task.created_at);
    task.error = { type: 'Error', description: RESTARTED_TASK_ERROR, stacktrace: '', version: 'v2' };
  }
  return app;
}
