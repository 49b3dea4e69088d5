import { z } from 'zod';
import { inputError, orNotFound } from '../../errors.js';
import { setOwn } from '../../paths.js';
import { builtinMapSlice, type Resource } from '../../resource.js';
import { route, type RequestContext } from '../../router.js';
import type { AppState, Rec } from '../../store.js';
import { nowIso, parseInput } from '../../validate.js';
import { checkGrants } from '../app.js';
import { BUILTIN_CHANNEL_TYPES, builtinChannelType, channelTypeGrants, FEATURES, features, type Feature } from './channel-type-defaults.js';

declare module '../../store.js' {
  interface AppState {
    /** name → ChannelTypeConfig, with `commands` kept as names (Get and List expand them to Command objects). */
    channelTypes: Map<string, Rec>;
  }
}

/**
 * Chat channel types (`/api/v2/chat/channeltypes`). Every app has the five built-ins (channel-type-defaults.ts): they
 * can be updated but not deleted (400/4).
 *
 * Shapes follow the chat spec: Create and Update answer the config with `commands` as names; Get and List answer
 * `commands` as Command objects. `commands: ["all"]` (Stream's own SDK examples send it) names every command of the
 * app, present and future.
 *
 * Writes:
 * - CreateChannelType needs `name`, `max_message_length`, `automod` and `automod_behavior`; UpdateChannelType needs
 *   the last three, as the spec says (the official SDK sends them on every update). A field left out keeps its value;
 *   a new type's feature flags not sent are off except `push_notifications` (the Go SDK's DefaultChannelConfig and
 *   its test "default is on"), with `message_retention: infinite` and no commands.
 * - `grants`: each role sent replaces that role's permissions (`[]` clears them), roles not sent keep theirs; a new
 *   type starts from `messaging`'s grants. Every role must exist in the app and every permission id too.
 * - `commands`, `blocklists` and `permissions` replace the whole list.
 * - Refused with 400/4: a command, block list (`blocklist` or an entry of `blocklists`) or role that does not exist.
 *
 * Deleting: Stream refuses to delete a channel type that still has channels; the emulator serves no channels, so a
 * custom type is deleted at once.
 */

const NAME = /^[a-zA-Z0-9_-]+$/;
const int32 = z.number().int();
const boolFields = (names: readonly Feature[]) => Object.fromEntries(names.map((f) => [f, z.boolean().optional()])) as Record<Feature, z.ZodOptional<z.ZodBoolean>>;
const policy = z.object({
  action: z.enum(['Deny', 'Allow']),
  name: z.string(),
  resources: z.array(z.string()).min(1),
  roles: z.array(z.string()),
  owner: z.boolean(),
  priority: int32.min(1).max(999),
});
const behavior = z.enum(['flag', 'block', 'shadow_block']);
// Go's time.ParseDuration syntax, as the spec's example for `partition_ttl` ("24h") shows; the spec also marks it
// `format: duration`, which JSON Schema reads as ISO 8601 (`P1D`): the example is what Stream's servers (Go) parse.
const duration = z.string().regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/, { error: 'must be a duration such as "24h"' });
const labelThresholds = z.object({ flag: z.number().min(0).max(1).optional(), block: z.number().min(0).max(1).optional() });

const common = {
  max_message_length: int32.min(1).max(20_000),
  automod: z.enum(['disabled', 'simple', 'AI']),
  message_retention: z.string().regex(/^(infinite|\d+)$/, { error: 'must be "infinite" or a number of days' }).optional(),
  blocklist: z.string().optional(),
  blocklist_behavior: behavior.optional(),
  blocklists: z.array(z.object({ blocklist: z.string(), behavior })).optional(),
  chat_preferences: z.record(z.string(), z.string()).optional(),
  commands: z.array(z.string()).optional(),
  grants: z.record(z.string(), z.array(z.string())).optional(),
  permissions: z.array(policy).optional(),
  partition_ttl: duration.nullish(),
  push_level: z.enum(['all', 'all_mentions', 'mentions', 'direct_mentions', 'none']).optional(),
};

const CREATE_FEATURES = FEATURES.filter((f) => f !== 'quotes' && f !== 'reminders');
const createSchema = z.object({
  name: z.string().min(1).max(64).regex(NAME, { error: 'may contain only letters, digits, "_" and "-"' }),
  ...common,
  automod_behavior: z.enum(['flag', 'block']),
  partition_size: int32.min(10).optional(),
  ...boolFields(CREATE_FEATURES),
});
const updateSchema = z.object({
  ...common,
  automod_behavior: behavior,
  partition_size: int32.min(0).optional(),
  allowed_flag_reasons: z.array(z.string()).optional(),
  automod_thresholds: z.object({ explicit: labelThresholds.optional(), spam: labelThresholds.optional(), toxic: labelThresholds.optional() }).optional(),
  ...boolFields(FEATURES),
});
type Write = z.infer<typeof updateSchema>;

/** The value of `commands` that names every command of the app. */
const ALL_COMMANDS = 'all';

const isBuiltin = (name: string) => (BUILTIN_CHANNEL_TYPES as readonly string[]).includes(name);

const blockListNamed = (app: AppState, name: string) => [...app.blocklists.values()].some((l) => l.name === name);

function checkWrite(app: AppState, input: Write): void {
  const unknownCommand = input.commands?.find((c) => c !== ALL_COMMANDS && !app.chatCommands.has(c));
  if (unknownCommand !== undefined) {
    throw inputError(`commands: command "${unknownCommand}" does not exist`, { commands: `command "${unknownCommand}" does not exist` });
  }
  if (input.blocklist && !blockListNamed(app, input.blocklist)) {
    throw inputError(`blocklist: block list "${input.blocklist}" does not exist`, { blocklist: `block list "${input.blocklist}" does not exist` });
  }
  const unknownList = input.blocklists?.find((b) => !blockListNamed(app, b.blocklist));
  if (unknownList) {
    throw inputError(`blocklists: block list "${unknownList.blocklist}" does not exist`, { blocklists: `block list "${unknownList.blocklist}" does not exist` });
  }
  if (input.grants) checkGrants(app, input.grants);
}

/** Sets every field sent; grants per role. `blocklist: ""` and `partition_ttl: null` clear the value. */
function applyWrite(channelType: Rec, input: Write, at: string): void {
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || key === 'grants' || key === 'name') continue;
    if (value === null || value === '') delete channelType[key];
    else channelType[key] = key === 'commands' ? [...new Set(value as string[])] : structuredClone(value);
  }
  for (const [role, ids] of Object.entries(input.grants ?? {})) setOwn(channelType.grants, role, [...new Set(ids)]);
  channelType.updated_at = at;
}

/** The read shape of Get and List: `commands` as Command objects, in the order the type names them. */
function expanded(app: AppState, channelType: Rec): Rec {
  const names = channelType.commands as string[];
  const commands = names.includes(ALL_COMMANDS) ? [...app.chatCommands.values()] : names.flatMap((n) => app.chatCommands.get(n) ?? []);
  return { ...channelType, commands };
}

const findChannelType = (ctx: RequestContext) =>
  orNotFound(ctx.app.channelTypes.get(ctx.params.name!), `channel type "${ctx.params.name}" does not exist`);

const listChannelTypes = route('GET', '/api/v2/chat/channeltypes', 'ListChannelTypes', ({ app }) => ({
  channel_types: Object.fromEntries([...app.channelTypes].map(([name, t]) => [name, expanded(app, t)])),
}));

const createChannelType = route('POST', '/api/v2/chat/channeltypes', 'CreateChannelType', ({ app, body, now }) => {
  const input = parseInput(createSchema, body);
  if (app.channelTypes.has(input.name)) throw inputError(`channel type "${input.name}" already exists`, { name: 'channel type already exists' });
  checkWrite(app, input);
  const at = nowIso(now);
  const channelType: Rec = {
    name: input.name,
    ...features(['push_notifications']),
    message_retention: 'infinite',
    commands: [],
    permissions: [],
    grants: channelTypeGrants('messaging'),
    created_at: at,
  };
  applyWrite(channelType, input, at);
  app.channelTypes.set(input.name, channelType);
  return channelType;
});

const getChannelType = route('GET', '/api/v2/chat/channeltypes/{name}', 'GetChannelType', (ctx) => expanded(ctx.app, findChannelType(ctx)));

const updateChannelType = route('PUT', '/api/v2/chat/channeltypes/{name}', 'UpdateChannelType', (ctx) => {
  const input = parseInput(updateSchema, ctx.body);
  const channelType = findChannelType(ctx);
  checkWrite(ctx.app, input);
  applyWrite(channelType, input, nowIso(ctx.now));
  return channelType;
});

const deleteChannelType = route('DELETE', '/api/v2/chat/channeltypes/{name}', 'DeleteChannelType', (ctx) => {
  const channelType = findChannelType(ctx);
  if (isBuiltin(channelType.name)) throw inputError(`channel type "${channelType.name}" is a built-in channel type and cannot be deleted`);
  ctx.app.channelTypes.delete(channelType.name);
  return {};
});

const builtins = (at: string) => new Map(BUILTIN_CHANNEL_TYPES.map((name) => [name as string, builtinChannelType(name, at)]));


export const channelTypes: Resource = {
  name: 'chat channel types',
  state: { channelTypes: builtinMapSlice(builtins) },
  seed: (app, { now }) => {
    app.channelTypes = builtins(nowIso(now));
  },
  routes: [listChannelTypes, createChannelType, getChannelType, updateChannelType, deleteChannelType],
};
