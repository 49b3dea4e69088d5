import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.js';
import { TestApi } from '../support/api.js';
import { useEmulator } from '../support/emulator.js';
import { loadSpec } from '../support/spec.js';

const CHANNEL_TYPES = '/api/v2/chat/channeltypes';
const COMMANDS = '/api/v2/chat/commands';
const required = { max_message_length: 5000, automod: 'disabled', automod_behavior: 'flag' } as const;
const BUILTIN_TYPES = ['commerce', 'gaming', 'livestream', 'messaging', 'team'];

/** An emulator for the suite, with a client that validates against the chat spec (when it is present). */
function useChatEmulator(options: Parameters<typeof useEmulator>[0] = {}) {
  const env = useEmulator(options);
  const chat = {} as { api: TestApi };
  beforeAll(() => {
    chat.api = new TestApi(env.emu, loadSpec('chat'));
  });
  return chat;
}

describe('chat channel types and commands: built-ins', () => {
  const env = useChatEmulator();

  it('gives every new app the five built-in channel types with Stream\'s defaults', async () => {
    const { body } = await env.api.call({ method: 'GET', path: CHANNEL_TYPES });
    expect(Object.keys(body.channel_types).sort()).toEqual(BUILTIN_TYPES);
    const { messaging, livestream } = body.channel_types;
    expect(messaging).toMatchObject({
      typing_events: true, read_events: true, connect_events: true, search: true, reactions: true, replies: true, quotes: true,
      mutes: true, uploads: true, url_enrichment: true, push_notifications: true, message_retention: 'infinite',
      max_message_length: 5000, automod: 'disabled', automod_behavior: 'flag',
    });
    expect(messaging.commands).toEqual([{ name: 'giphy', description: 'Post a random gif to the channel', args: '[text]', set: 'fun_set', created_at: messaging.created_at, updated_at: messaging.created_at }]);
    expect(livestream).toMatchObject({ typing_events: false, read_events: false, connect_events: true, url_enrichment: false, reactions: true, mutes: true });
    for (const type of Object.values(body.channel_types) as { grants: Record<string, string[]> }[]) {
      expect(Object.keys(type.grants).sort()).toEqual(['admin', 'anonymous', 'channel_member', 'channel_moderator', 'guest', 'user']);
    }
  });

  it('grants only permissions the app has', async () => {
    const permissions = new Set((await env.api.call({ method: 'GET', path: '/api/v2/permissions' })).body.permissions.map((p: { id: string }) => p.id));
    const { body } = await env.api.call({ method: 'GET', path: CHANNEL_TYPES });
    const granted = (Object.values(body.channel_types) as { grants: Record<string, string[]> }[]).flatMap((t) => Object.values(t.grants).flat());
    expect(granted.filter((id) => !permissions.has(id))).toEqual([]);
  });

  it('gives every new app the five built-in commands with Stream\'s descriptions, args and sets', async () => {
    const { body } = await env.api.call({ method: 'GET', path: COMMANDS });
    const strip = ({ created_at: _c, updated_at: _u, ...rest }: Record<string, unknown>) => rest;
    expect(body.commands.map(strip)).toEqual([
      { name: 'ban', description: 'Ban a user', args: '[@username] [text]', set: 'moderation_set' },
      { name: 'giphy', description: 'Post a random gif to the channel', args: '[text]', set: 'fun_set' },
      { name: 'mute', description: 'Mute a user', args: '[@username]', set: 'moderation_set' },
      { name: 'unban', description: 'Unban a user', args: '[@username]', set: 'moderation_set' },
      { name: 'unmute', description: 'Unmute a user', args: '[@username]', set: 'moderation_set' },
    ]);
  });

  it('refuses to update or delete a built-in command, and to delete a built-in channel type', async () => {
    const update = await env.api.call({ method: 'PUT', path: `${COMMANDS}/giphy`, body: { description: 'gifs' } });
    expect([update.status, update.body.code, update.body.message]).toEqual([400, 4, 'UpdateCommand failed with error: "command "giphy" is a built-in command and cannot be changed or deleted"']);
    const del = await env.api.call({ method: 'DELETE', path: `${COMMANDS}/ban` });
    expect([del.status, del.body.code]).toEqual([400, 4]);
    for (const name of BUILTIN_TYPES) {
      const r = await env.api.call({ method: 'DELETE', path: `${CHANNEL_TYPES}/${name}` });
      expect([r.status, r.body.code, r.body.message]).toEqual([400, 4, `DeleteChannelType failed with error: "channel type "${name}" is a built-in channel type and cannot be deleted"`]);
    }
    expect(Object.keys((await env.api.call({ method: 'GET', path: CHANNEL_TYPES })).body.channel_types).sort()).toEqual(BUILTIN_TYPES);
  });
});

describe('chat channel types: validation and write rules', () => {
  const env = useChatEmulator();
  const create = (body: unknown) => env.api.call({ method: 'POST', path: CHANNEL_TYPES, body }, { skipRequestValidation: true });
  const update = (name: string, body: unknown) => env.api.call({ method: 'PUT', path: `${CHANNEL_TYPES}/${name}`, body }, { skipRequestValidation: true });

  it('requires name, max_message_length, automod and automod_behavior on create, and the last three on update', async () => {
    const missing = await create({});
    expect([missing.status, missing.body.code]).toEqual([400, 4]);
    expect(Object.keys(missing.body.exception_fields).sort()).toEqual(['automod', 'automod_behavior', 'max_message_length', 'name']);
    expect((await create({ name: 'ok', ...required })).status).toBe(201);
    const partial = await update('ok', { reactions: true });
    expect(Object.keys(partial.body.exception_fields).sort()).toEqual(['automod', 'automod_behavior', 'max_message_length']);
    const badEnum = await update('ok', { ...required, automod: 'smart' });
    expect(badEnum.body.exception_fields).toEqual({ automod: 'automod must be one of [disabled simple AI]' });
    // shadow_block is an update-only behaviour in the spec.
    expect((await create({ name: 'shadow', ...required, automod_behavior: 'shadow_block' })).status).toBe(400);
    expect((await update('ok', { ...required, automod_behavior: 'shadow_block' })).status).toBe(201);
    expect((await update('ok', { ...required, max_message_length: 20_001 })).status).toBe(400);
    expect((await create({ name: 'has space', ...required })).status).toBe(400);
    const dup = await create({ name: 'ok', ...required });
    expect([dup.status, dup.body.code, dup.body.message]).toEqual([400, 4, 'CreateChannelType failed with error: "channel type "ok" already exists"']);
    expect((await create({ name: 'messaging', ...required })).status).toBe(400);
  });

  it('starts a new type with features off but push notifications, no commands and messaging\'s grants', async () => {
    const { body } = await create({ name: 'fresh', ...required });
    expect(body).toMatchObject({ name: 'fresh', typing_events: false, reactions: false, quotes: false, push_notifications: true, message_retention: 'infinite', commands: [], permissions: [] });
    const messaging = (await env.api.call({ method: 'GET', path: `${CHANNEL_TYPES}/messaging` })).body;
    expect(body.grants).toEqual(messaging.grants);
    expect(body.created_at).toBe(body.updated_at);
  });

  it('sets only the fields sent, replaces the grants of the roles sent, and replaces lists', async () => {
    await create({ name: 'partial', ...required, typing_events: true, commands: ['giphy', 'ban'], grants: { user: ['create-channel'] } });
    const before = (await env.api.call({ method: 'GET', path: `${CHANNEL_TYPES}/partial` })).body;
    const after = (await update('partial', { ...required, max_message_length: 140, replies: true, commands: ['mute'], grants: { guest: ['read-channel'], user: [] } })).body;
    expect(after).toMatchObject({ typing_events: true, replies: true, max_message_length: 140, commands: ['mute'] });
    expect(after.grants).toEqual({ ...before.grants, guest: ['read-channel'], user: [] });
    const read = (await env.api.call({ method: 'GET', path: `${CHANNEL_TYPES}/partial` })).body;
    expect(read.commands.map((c: { name: string }) => c.name)).toEqual(['mute']);
  });

  it('names every command with "all", present and future', async () => {
    await create({ name: 'everything', ...required, commands: ['all'] });
    await env.api.call({ method: 'POST', path: COMMANDS, body: { name: 'later', description: 'Added later' } });
    const read = (await env.api.call({ method: 'GET', path: `${CHANNEL_TYPES}/everything` })).body;
    expect(read.commands.map((c: { name: string }) => c.name).sort()).toEqual(['ban', 'giphy', 'later', 'mute', 'unban', 'unmute']);
  });

  it('refuses unknown commands, block lists, roles and permissions with 400/4 naming them', async () => {
    await create({ name: 'refs', ...required });
    const message = async (body: unknown) => {
      const r = await update('refs', { ...required, ...(body as object) });
      expect([r.status, r.body.code]).toEqual([400, 4]);
      return r.body.message;
    };
    expect(await message({ commands: ['giphy', 'nope'] })).toBe('UpdateChannelType failed with error: "commands: command "nope" does not exist"');
    expect(await message({ blocklist: 'nope' })).toBe('UpdateChannelType failed with error: "blocklist: block list "nope" does not exist"');
    expect(await message({ blocklists: [{ blocklist: 'nope', behavior: 'block' }] })).toBe('UpdateChannelType failed with error: "blocklists: block list "nope" does not exist"');
    expect(await message({ grants: { nobody: ['read-channel'] } })).toBe('UpdateChannelType failed with error: "grants: role "nobody" does not exist"');
    expect(await message({ grants: { user: ['fly'] } })).toBe('UpdateChannelType failed with error: "grants: permission(s) "fly" of role "user" do not exist"');
    expect((await create({ name: 'refs2', ...required, commands: ['nope'] })).status).toBe(400);
    expect((await env.api.call({ method: 'GET', path: `${CHANNEL_TYPES}/refs2` })).status).toBe(404);

    // What exists is accepted: a custom block list, a custom role.
    await env.api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name: 'chat_words', words: ['spam'] } });
    await env.api.call({ method: 'POST', path: '/api/v2/roles', body: { name: 'agent' } });
    const ok = await update('refs', { ...required, blocklist: 'chat_words', blocklists: [{ blocklist: 'profanity_en_2020_v1', behavior: 'flag' }], grants: { agent: ['read-channel'] } });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ blocklist: 'chat_words', blocklists: [{ blocklist: 'profanity_en_2020_v1', behavior: 'flag' }], grants: { agent: ['read-channel'] } });
    // An empty block list name clears it.
    expect((await update('refs', { ...required, blocklist: '' })).body.blocklist).toBeUndefined();
  });
});

describe('chat commands: write rules', () => {
  const env = useChatEmulator();

  it('validates commands, fills args and set, and updates only what is sent', async () => {
    const noDescription = await env.api.call({ method: 'POST', path: COMMANDS, body: { name: 'x' } }, { skipRequestValidation: true });
    expect(noDescription.body.exception_fields).toEqual({ description: 'description is a required field' });
    const badName = await env.api.call({ method: 'POST', path: COMMANDS, body: { name: 'two words', description: 'x' } });
    expect([badName.status, badName.body.code]).toEqual([400, 4]);
    const long = await env.api.call({ method: 'POST', path: COMMANDS, body: { name: 'long', description: 'x'.repeat(256) } }, { skipRequestValidation: true });
    expect(long.status).toBe(400);
    const dupBuiltin = await env.api.call({ method: 'POST', path: COMMANDS, body: { name: 'giphy', description: 'mine' } });
    expect([dupBuiltin.status, dupBuiltin.body.message]).toEqual([400, 'CreateCommand failed with error: "command "giphy" already exists"']);

    const { command } = (await env.api.call({ method: 'POST', path: COMMANDS, body: { name: 'plain', description: 'Plain' } })).body;
    expect(command).toMatchObject({ name: 'plain', description: 'Plain', args: '', set: '' });
    const { command: updated } = (await env.api.call({ method: 'PUT', path: `${COMMANDS}/plain`, body: { description: 'Plainer', set: 'my_set' } })).body;
    expect(updated).toMatchObject({ name: 'plain', description: 'Plainer', args: '', set: 'my_set', created_at: command.created_at });
    const noDesc = await env.api.call({ method: 'PUT', path: `${COMMANDS}/plain`, body: { args: '[x]' } }, { skipRequestValidation: true });
    expect(noDesc.status).toBe(400);
  });

  it('refuses to delete a command a channel type names, and deletes it once none does', async () => {
    await env.api.call({ method: 'POST', path: COMMANDS, body: { name: 'busy', description: 'Busy' } });
    await env.api.call({ method: 'POST', path: CHANNEL_TYPES, body: { name: 'b', ...required, commands: ['busy'] } });
    await env.api.call({ method: 'POST', path: CHANNEL_TYPES, body: { name: 'a', ...required, commands: ['giphy', 'busy'] } });
    const refused = await env.api.call({ method: 'DELETE', path: `${COMMANDS}/busy` });
    expect([refused.status, refused.body.code, refused.body.message]).toEqual([
      400, 4, 'DeleteCommand failed with error: "command "busy" is used by channel type(s) "a", "b": remove it from their commands first"',
    ]);
    await env.api.call({ method: 'PUT', path: `${CHANNEL_TYPES}/a`, body: { ...required, commands: ['giphy'] } });
    await env.api.call({ method: 'DELETE', path: `${CHANNEL_TYPES}/b` });
    const deleted = await env.api.call({ method: 'DELETE', path: `${COMMANDS}/busy` });
    expect([deleted.status, deleted.body.name]).toEqual([200, 'busy']);
    expect((await env.api.call({ method: 'GET', path: `${COMMANDS}/busy` })).status).toBe(404);
  });
});

describe('chat operations and rate limits', () => {
  const env = useChatEmulator({ rateLimits: { defaultPerMinute: 60, perSecond: false } });
  const OPS = ['ListChannelTypes', 'CreateChannelType', 'GetChannelType', 'UpdateChannelType', 'DeleteChannelType', 'ListCommands', 'CreateCommand', 'GetCommand', 'UpdateCommand', 'DeleteCommand'];

  it('lists the chat operations in GetRateLimits and counts their calls like any other', async () => {
    const limits = (await env.api.call({ method: 'GET', path: '/api/v2/rate_limits', query: { server_side: true } })).body.server_side;
    for (const op of OPS) expect(limits[op]).toMatchObject({ limit: 60, remaining: 60 });
    const first = await env.api.call({ method: 'GET', path: CHANNEL_TYPES });
    expect(first.headers.get('x-ratelimit-limit')).toBe('60');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('59');
    for (let i = 0; i < 59; i++) await env.api.call({ method: 'GET', path: CHANNEL_TYPES });
    const limited = await env.api.call({ method: 'GET', path: CHANNEL_TYPES });
    expect([limited.status, limited.body.code]).toEqual([429, 9]);
    expect((await env.api.call({ method: 'GET', path: COMMANDS })).status).toBe(200);
  });
});

describe('chat persistence with --data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stream-emu-chat-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const boot = async (dataFile: string) => {
    const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, now: () => T0, dataFile, apps: [{ key: 'chat', secret: 'chat-secret' }] });
    return { emu, api: new TestApi(emu, loadSpec('chat')) };
  };
  const withoutDuration = ({ duration: _d, ...rest }: Record<string, unknown>) => rest;

  it('reads channel types and commands back the same after a restart', async () => {
    const file = join(dir, 'state.json');
    let { emu, api } = await boot(file);
    await api.call({ method: 'POST', path: COMMANDS, body: { name: 'kept', description: 'Kept' } });
    await api.call({ method: 'POST', path: CHANNEL_TYPES, body: { name: 'kept', ...required, commands: ['kept'] } });
    await api.call({ method: 'PUT', path: `${CHANNEL_TYPES}/team`, body: { ...required, max_message_length: 999 } });
    const readAll = async () => Promise.all([CHANNEL_TYPES, COMMANDS].map(async (path) => withoutDuration((await api.call({ method: 'GET', path })).body)));
    const before = await readAll();
    expect(JSON.stringify(before)).toContain('"max_message_length":999');
    await emu.close();

    ({ emu, api } = await boot(file));
    expect(await readAll()).toEqual(before);
    await emu.close();
  });

  it('gives apps of a data file written before chat existed the built-ins', async () => {
    const file = join(dir, 'old.json');
    const { emu } = await boot(file);
    await emu.close();
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    for (const app of saved.apps) {
      delete app.channelTypes;
      delete app.chatCommands;
    }
    writeFileSync(file, JSON.stringify(saved));

    const again = await boot(file);
    expect(Object.keys((await again.api.call({ method: 'GET', path: CHANNEL_TYPES })).body.channel_types).sort()).toEqual(BUILTIN_TYPES);
    expect((await again.api.call({ method: 'GET', path: COMMANDS })).body.commands).toHaveLength(5);
    await again.emu.close();
  });
});
