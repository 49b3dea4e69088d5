import { z } from 'zod';
import { inputError, orNotFound } from '../../errors.js';
import { builtinMapSlice, type Resource } from '../../resource.js';
import { route, type RequestContext } from '../../router.js';
import type { AppState, Rec } from '../../store.js';
import { nowIso, parseInput } from '../../validate.js';
import { BUILTIN_COMMANDS, builtinCommands } from './channel-type-defaults.js';

declare module '../../store.js' {
  interface AppState {
    /** name → Command (read shape). */
    chatCommands: Map<string, Rec>;
  }
}

/**
 * Chat commands (`/api/v2/chat/commands`). Every app has the five built-ins (channel-type-defaults.ts); ListCommands
 * and GetCommand answer them beside the custom ones, so a client sees every name a channel type may use.
 *
 * Refusals, all 400/4 (the API documents no 409 and no 403 for these operations):
 * - a name already taken, built-in or custom;
 * - updating or deleting a built-in command: Stream implements their behaviour server-side and its dashboard offers
 *   no way to change them; the emulator's choice, since Stream's docs do not say what the API answers;
 * - deleting a command that a channel type's `commands` names: the emulator's choice (Stream's docs do not say),
 *   because the channel type would silently lose a command it was configured with. Remove it from those channel
 *   types first.
 */

// The name rule (letters, digits, `_`, `-`) is the emulator's choice: a command is typed after `/` in a message, and
// the spec only bounds the length.
const NAME = /^[a-zA-Z0-9_-]+$/;
const text = z.string().max(255);
const createSchema = z.object({
  name: z.string().min(1).max(255).regex(NAME, { error: 'may contain only letters, digits, "_" and "-"' }),
  description: text,
  args: text.optional(),
  set: text.optional(),
});
const updateSchema = createSchema.omit({ name: true });

export const isBuiltinCommand = (name: string) => (BUILTIN_COMMANDS as readonly string[]).includes(name);

const byName = (a: Rec, b: Rec) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const findCommand = (ctx: RequestContext) => orNotFound(ctx.app.chatCommands.get(ctx.params.name!), `command "${ctx.params.name}" does not exist`);

function customCommand(ctx: RequestContext): Rec {
  const command = findCommand(ctx);
  if (isBuiltinCommand(command.name)) throw inputError(`command "${command.name}" is a built-in command and cannot be changed or deleted`);
  return command;
}

/** The channel types whose `commands` name `command`. */
export const channelTypesUsing = (app: AppState, command: string) =>
  [...app.channelTypes.values()].filter((t) => (t.commands as string[]).includes(command)).map((t) => String(t.name)).sort();

const listCommands = route('GET', '/api/v2/chat/commands', 'ListCommands', ({ app }) => ({ commands: [...app.chatCommands.values()].sort(byName) }));

const createCommand = route('POST', '/api/v2/chat/commands', 'CreateCommand', ({ app, body, now }) => {
  const input = parseInput(createSchema, body);
  if (app.chatCommands.has(input.name)) throw inputError(`command "${input.name}" already exists`, { name: 'command already exists' });
  const at = nowIso(now);
  const command = { name: input.name, description: input.description, args: input.args ?? '', set: input.set ?? '', created_at: at, updated_at: at };
  app.chatCommands.set(command.name, command);
  return { command };
});

const getCommand = route('GET', '/api/v2/chat/commands/{name}', 'GetCommand', (ctx) => findCommand(ctx));

const updateCommand = route('PUT', '/api/v2/chat/commands/{name}', 'UpdateCommand', (ctx) => {
  const input = parseInput(updateSchema, ctx.body);
  const command = customCommand(ctx);
  command.description = input.description;
  if (input.args !== undefined) command.args = input.args;
  if (input.set !== undefined) command.set = input.set;
  command.updated_at = nowIso(ctx.now);
  return { command };
});

const deleteCommand = route('DELETE', '/api/v2/chat/commands/{name}', 'DeleteCommand', (ctx) => {
  const command = customCommand(ctx);
  const users = channelTypesUsing(ctx.app, command.name);
  if (users.length) {
    throw inputError(`command "${command.name}" is used by channel type(s) ${users.map((u) => `"${u}"`).join(', ')}: remove it from their commands first`);
  }
  ctx.app.chatCommands.delete(command.name);
  return { name: command.name };
});

const builtins = (at: string) => new Map(builtinCommands(at).map((c) => [String(c.name), c]));


export const chatCommands: Resource = {
  name: 'chat commands',
  state: { chatCommands: builtinMapSlice(builtins) },
  seed: (app, { now }) => {
    app.chatCommands = builtins(nowIso(now));
  },
  routes: [listCommands, createCommand, getCommand, updateCommand, deleteCommand],
};
