import type { CallInput } from './server.js';
import type { Rec } from './store.js';

/**
 * An app's starting state for a test, in the API's own shapes: each entry is the body of the operation that
 * creates it (`block_lists` entries are CreateBlockList bodies, …). Applied in dependency order: the app's settings,
 * roles, permissions, commands, block lists, push providers, channel types, call types, external storage, users,
 * their devices, user groups.
 */
export interface SeedData {
  /** UpdateApp's body (`{ enforce_unique_usernames: 'app', … }`). */
  app?: Rec;
  /** Custom role names (CreateRole). */
  roles?: string[];
  permissions?: Rec[];
  commands?: Rec[];
  block_lists?: Rec[];
  /** Each UpsertPushProvider's `push_provider`. */
  push_providers?: Rec[];
  channel_types?: Rec[];
  call_types?: Rec[];
  external_storage?: Rec[];
  /** Users (UpdateUsers), each with its `id`. */
  users?: Rec[];
  devices?: Rec[];
  user_groups?: Rec[];
}

type Call = (op: string, input: CallInput) => Promise<Rec>;

/** The operations that seed each section, in the order they run. */
const STEPS: { [K in keyof Required<SeedData>]: (call: Call, value: Required<SeedData>[K]) => Promise<unknown> } = {
  app: (call, settings) => call('UpdateApp', { body: settings }),
  roles: (call, names) => each(names, (name) => call('CreateRole', { body: { name } })),
  permissions: (call, list) => each(list, (body) => call('CreatePermission', { body })),
  commands: (call, list) => each(list, (body) => call('CreateCommand', { body })),
  block_lists: (call, list) => each(list, (body) => call('CreateBlockList', { body })),
  push_providers: (call, list) => each(list, (push_provider) => call('UpsertPushProvider', { body: { push_provider } })),
  channel_types: (call, list) => each(list, (body) => call('CreateChannelType', { body })),
  call_types: (call, list) => each(list, (body) => call('CreateCallType', { body })),
  external_storage: (call, list) => each(list, (body) => call('CreateExternalStorage', { body })),
  // UpdateUsers takes at most 100 users a call, as Stream does.
  users: (call, list) => each(chunks(list, 100), (users) => call('UpdateUsers', { body: { users: Object.fromEntries(users.map((u) => [String(u.id), u])) } })),
  devices: (call, list) => each(list, (body) => call('CreateDevice', { body })),
  user_groups: (call, list) => each(list, (body) => call('CreateUserGroup', { body })),
};

export async function seedApp(call: Call, data: SeedData): Promise<void> {
  if (!isRecord(data)) throw new Error(`seed: give an object of sections (${Object.keys(STEPS).join(', ')})`);
  const unknown = Object.keys(data).filter((k) => !(k in STEPS));
  if (unknown.length) throw new Error(`seed: unknown section ${unknown.join(', ')} (known: ${Object.keys(STEPS).join(', ')})`);
  for (const [section, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const ok = section === 'app' ? isRecord(value) : Array.isArray(value) && value.every((v) => (section === 'roles' ? typeof v === 'string' : isRecord(v)));
    if (!ok) throw new Error(`seed: ${section} must be ${section === 'app' ? "UpdateApp's body (an object)" : section === 'roles' ? 'an array of role names' : 'an array of objects (each the body of its create operation)'}`);
  }
  for (const [section, step] of Object.entries(STEPS) as [keyof SeedData, (call: Call, v: unknown) => Promise<unknown>][]) {
    const value = data[section];
    if (value !== undefined) await step(call, value);
  }
}

const isRecord = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);

async function each<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (const item of items) await fn(item);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
