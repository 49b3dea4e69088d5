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

/**
 * The state every app has whatever resources the emulator serves. Each resource module adds its own slice to this
 * interface (`declare module '../store.js'`) and registers how the slice starts and persists (resource.ts), so a new
 * resource never edits this file.
 */
export interface AppState {
  key: string;
  secret: string;
  /** Async task records: the engine (tasks.ts) is shared by every resource that answers a `task_id`. */
  tasks: Map<string, TaskRecord>;
}
