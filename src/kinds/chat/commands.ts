import { z } from 'zod';
import type { LiveObject, Rec } from '../../core/model.js';
import { addressPart, changedTopLevel, defineKind, getOrUndefined, liveObject, pick } from '../define.js';

/** The commands every app has: channel types name them without declaring them; they are never changed or deleted. */
export const BUILTIN_COMMANDS = ['ban', 'giphy', 'mute', 'unban', 'unmute'] as const;

const FIELDS = ['name', 'description', 'args', 'set'] as const;
const isBuiltinCommand = (name: unknown) => (BUILTIN_COMMANDS as readonly unknown[]).includes(name);

export const commandSchema = z
  .object({
    name: addressPart('a command name', 255)
      .regex(/^[A-Za-z0-9_-]+$/, 'a command name may contain only letters, digits, "_" and "-" (it is typed after "/" in a message)')
      .refine((n) => !isBuiltinCommand(n), { error: (issue) => `${String(issue.input)} is a built-in command: channel types name it without declaring it, and Stream does not let it be changed` })
      .describe('Identity: the custom command typed after "/" (`command/<name>`); giphy, ban, unban, mute and unmute are built in.'),
    description: z.string().min(1, 'a command description must not be empty').max(255).describe('What the command does, as chat clients show it in their command list (required by Stream).'),
    args: z.string().min(1, 'args must not be empty: leave it out for none').max(255).optional().describe('The arguments help shown after the name, e.g. "[@username] [text]".'),
    set: z.string().min(1, 'set must not be empty: leave it out for none').max(255).optional().describe('The group clients list the command under, e.g. fun_set or moderation_set.'),
  })
  .strict()
  .describe('A custom chat command that channel types may enable (`commands:` of a channel type); your backend handles it through a webhook.');

/** A Command of the API in the file's shape (timestamps dropped, empty texts as absent). */
export function commandLive(c: Rec): LiveObject {
  const fields = pick(c, FIELDS);
  for (const k of ['args', 'set'] as const) if (fields[k] === '') delete fields[k];
  return liveObject('command', `command/${String(c.name)}`, fields, isBuiltinCommand(c.name));
}

/**
 * Custom chat commands (`command/<name>`): a description, its arguments' help and its set. Created and updated by
 * name, deleted only with `commands` in `policy.prune` and after the channel types that name them let go of them;
 * the built-in commands are never changed.
 */
export const commandKind = defineKind({
  kind: 'command',
  section: 'commands',
  schema: z.array(commandSchema),
  identityFields: ['name'],
  // Channel types that name a command are updated before it is deleted.
  releasedBy: ['channel_type'],
  isBuiltin: (live) => live.builtin === true,
  builtins: BUILTIN_COMMANDS.map((c) => `command/${c}`),
  async fetch(api) {
    const res = await api.send<{ commands?: Rec[] }>({ op: 'ListCommands', method: 'GET', path: '/api/v2/chat/commands', idempotent: true });
    return (res.commands ?? []).map(commandLive);
  },
  requests({ action, desired, live, fields }) {
    const name = String((desired ?? live)!.fields.name);
    if (action === 'delete') return [{ op: 'DeleteCommand', method: 'DELETE', path: '/api/v2/chat/commands/{name}', params: { name }, idempotent: true }];
    const want = desired!.fields;
    if (action === 'create') return [{ op: 'CreateCommand', method: 'POST', path: '/api/v2/chat/commands', body: pick(want, FIELDS), idempotent: false }];
    // UpdateCommand requires the description whatever changed.
    const body = { ...pick(want, changedTopLevel(fields)), description: want.description };
    return [{ op: 'UpdateCommand', method: 'PUT', path: '/api/v2/chat/commands/{name}', params: { name }, body, idempotent: true }];
  },
  async reread(api, desired) {
    // GetCommand answers the command's fields at the top level.
    const res = await getOrUndefined<Rec>(api, { op: 'GetCommand', method: 'GET', path: '/api/v2/chat/commands/{name}', params: { name: String(desired.fields.name) }, idempotent: true });
    return res?.name ? commandLive(res) : undefined;
  },
  toFile: (live) => live.fields,
});
