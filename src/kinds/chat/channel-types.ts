import { z } from 'zod';
import type { ApiRequest } from '../../core/api.js';
import type { LiveObject, Rec } from '../../core/model.js';
import { fromPointer } from '../../core/pointer.js';
import { defineKind, getOrUndefined, isRecord, liveObject, overlay, pick } from '../define.js';
import type { RefAt } from '../../plan/facets.js';
import { CHANNEL_TYPE_FIELDS, channelTypeSchema, REQUIRED_DEFAULTS, UPDATE_ONLY } from './channel-type-schema.js';

/** The channel types every app has: updated like any other, never deleted. */
export const BUILTIN_CHANNEL_TYPES = ['commerce', 'gaming', 'livestream', 'messaging', 'team'] as const;

/** Stream's built-in roles: a channel type's grants may name them without a declared role. */
const BUILTIN_ROLES = new Set(['admin', 'anonymous', 'channel_member', 'channel_moderator', 'guest', 'user']);
/** `commands: [all]` turns on every command: not a command's name. */
const ALL_COMMANDS = 'all';

const address = (name: unknown) => `channel_type/${String(name)}`;

/**
 * A ChannelTypeConfig in the file's shape: timestamps dropped, commands as names (Get and List answer Command
 * objects, Create and Update names), no block list as "" (how the file says "none").
 */
export function channelTypeLive(t: Rec): LiveObject {
  const fields = pick(t, CHANNEL_TYPE_FIELDS);
  fields.commands = ((t.commands as unknown[] | undefined) ?? []).map((c) => (isRecord(c) ? String(c.name) : String(c)));
  fields.blocklist = typeof t.blocklist === 'string' ? t.blocklist : '';
  return liveObject('channel_type', address(t.name), fields, (BUILTIN_CHANNEL_TYPES as readonly string[]).includes(String(t.name)));
}

/** The references a channel type's fields make, each with where it is written (for located messages). */
function refsAt(fields: Rec): RefAt[] {
  const out: RefAt[] = [];
  ((fields.commands as string[] | undefined) ?? []).forEach((c, i) => {
    if (c !== ALL_COMMANDS) out.push({ ref: `command/${c}`, path: ['commands', String(i)] });
  });
  if (typeof fields.blocklist === 'string' && fields.blocklist !== '') out.push({ ref: `blocklist/${fields.blocklist}`, path: ['blocklist'] });
  ((fields.blocklists as Rec[] | undefined) ?? []).forEach((b, i) => out.push({ ref: `blocklist/${String(b.blocklist)}`, path: ['blocklists', String(i), 'blocklist'] }));
  // A role whose grants are declared empty is let go of: no reference keeps it. Each permission granted is one too.
  for (const [role, granted] of Object.entries((fields.grants as Record<string, string[]> | undefined) ?? {})) {
    if (granted.length > 0 && !BUILTIN_ROLES.has(role)) out.push({ ref: `role/${role}`, path: ['grants', role], key: true });
    granted.forEach((p, i) => out.push({ ref: `permission/${p}`, path: ['grants', role, String(i)] }));
  }
  return out;
}

const listChannelTypes = { op: 'ListChannelTypes', method: 'GET', path: '/api/v2/chat/channeltypes', idempotent: true } as const;

/** UpdateChannelType requires these on every call: the file's values, else the app's. */
const required = (want: Rec, have: Rec) => Object.fromEntries(Object.keys(REQUIRED_DEFAULTS).map((k) => [k, want[k] ?? have[k] ?? REQUIRED_DEFAULTS[k as keyof typeof REQUIRED_DEFAULTS]]));

/**
 * The requests of a create: CreateChannelType with what it takes (its required fields from the file, else Stream's
 * defaults for a new type), then, when the file declares fields Create does not take, an UpdateChannelType with them.
 */
function createRequests(want: Rec): ApiRequest[] {
  const name = String(want.name);
  const createBody: Rec = { ...REQUIRED_DEFAULTS, ...want };
  const later: Rec = pick(want, UPDATE_ONLY);
  for (const k of UPDATE_ONLY) delete createBody[k];
  // Create takes flag or block only; shadow_block is set by the update.
  if (want.automod_behavior === 'shadow_block') {
    createBody.automod_behavior = REQUIRED_DEFAULTS.automod_behavior;
    later.automod_behavior = 'shadow_block';
  }
  // Create takes a partition size of 10 or more; a smaller one (0: no partitions) is set by the update.
  if (typeof want.partition_size === 'number' && want.partition_size < 10) {
    delete createBody.partition_size;
    later.partition_size = want.partition_size;
  }
  const create: ApiRequest = { op: 'CreateChannelType', method: 'POST', path: '/api/v2/chat/channeltypes', body: createBody, idempotent: false };
  if (Object.keys(later).length === 0) return [create];
  return [create, { op: 'UpdateChannelType', method: 'PUT', path: '/api/v2/chat/channeltypes/{name}', params: { name }, body: { ...required(createBody, {}), ...later }, idempotent: true }];
}

/**
 * Chat channel types (`channel_type/<name>`): features, limits, automod, block lists, commands and grants per
 * channel-level role. Only what the file declares is managed, key by key: an update sends the changed fields, only
 * the roles whose grants changed (UpdateChannelType leaves the other roles as they are), nested objects over what the
 * app has, and the three fields UpdateChannelType always requires (max_message_length, automod, automod_behavior)
 * from the file or, undeclared, as the app has them. The built-in types are updated, never deleted.
 */
export const channelTypeKind = defineKind({
  kind: 'channel_type',
  section: 'channel_types',
  schema: z.array(channelTypeSchema),
  identityFields: ['name'],
  // Commands, block lists, roles and permissions exist before a channel type names them, and are let go of before
  // they are deleted.
  dependsOn: ['command', 'blocklist', 'role', 'permission'],
  releases: ['command', 'blocklist', 'role', 'permission'],
  refs: (fields) => refsAt(fields).map((r) => r.ref),
  refsAt,
  setFields: ['/commands', '/grants/*', '/allowed_flag_reasons', '/blocklists'],
  isBuiltin: (live) => live.builtin === true,
  builtins: BUILTIN_CHANNEL_TYPES.map((t) => address(t)),
  async fetch(api, desired) {
    const wantsAll = new Set(desired.filter((t) => (t.fields.commands as string[] | undefined)?.includes(ALL_COMMANDS)).map((t) => t.address));
    const [res, commands] = await Promise.all([
      api.send<{ channel_types?: Record<string, Rec> }>(listChannelTypes),
      wantsAll.size ? api.send<{ commands?: Rec[] }>({ op: 'ListCommands', method: 'GET', path: '/api/v2/chat/commands', idempotent: true }) : undefined,
    ]);
    const every = (commands?.commands ?? []).map((c) => String(c.name));
    return Object.entries(res.channel_types ?? {}).map(([name, t]) => {
      const live = channelTypeLive({ ...t, name });
      // Stream reads `commands: [all]` back as every command: a type declared with `all` that has every one has `all`.
      const names = new Set(live.fields.commands as string[]);
      if (wantsAll.has(live.address) && every.every((c) => names.has(c))) live.fields.commands = [ALL_COMMANDS];
      return live;
    });
  },
  requests({ action, desired, live, fields }) {
    const name = String((desired ?? live)!.fields.name);
    if (action === 'delete') return [{ op: 'DeleteChannelType', method: 'DELETE', path: '/api/v2/chat/channeltypes/{name}', params: { name }, idempotent: true }];
    if (action === 'create') return createRequests(desired!.fields);
    const want = desired!.fields;
    const have = live?.fields ?? {};
    const body: Rec = {};
    for (const { path } of fields) {
      const [top, key] = fromPointer(path);
      if (!top || top === 'name') continue;
      if (top === 'grants' && key !== undefined) ((body.grants ??= {}) as Rec)[key] = (want.grants as Rec)[key];
      // A nested object (automod_thresholds, chat_preferences) goes whole, over what the app has: its undeclared keys stay.
      else if (isRecord(want[top])) body[top] = overlay(have[top], want[top]);
      else body[top] = want[top];
    }
    if (Object.keys(body).length === 0) return [];
    return [{ op: 'UpdateChannelType', method: 'PUT', path: '/api/v2/chat/channeltypes/{name}', params: { name }, body: { ...required(want, have), ...body }, idempotent: true }];
  },
  async reread(api, desired) {
    const res = await getOrUndefined<Rec>(api, { op: 'GetChannelType', method: 'GET', path: '/api/v2/chat/channeltypes/{name}', params: { name: String(desired.fields.name) }, idempotent: true });
    return res?.name ? channelTypeLive(res) : undefined;
  },
  toFile: ({ fields: { blocklist, ...fields } }) => (blocklist ? { ...fields, blocklist } : fields),
});
