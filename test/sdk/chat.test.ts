import { StreamClient } from '@stream-io/node-sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { failure, sdkClient } from '../support/sdk.js';

/** Round trips through the official Node SDK: chat channel types and commands. */
describe('official SDK: chat channel types and commands', () => {
  const env = useEmulator();
  let client: StreamClient;
  const required = { max_message_length: 5000, automod: 'disabled', automod_behavior: 'flag' } as const;

  beforeAll(() => {
    client = sdkClient(env.emu);
  });

  it('lists the built-in channel types and commands of a new app', async () => {
    const { channel_types: types } = await client.chat.listChannelTypes();
    expect(Object.keys(types).sort()).toEqual(['commerce', 'gaming', 'livestream', 'messaging', 'team']);
    expect(types.messaging!.commands.map((c) => c.name)).toEqual(['giphy']);
    expect(types.messaging!.created_at).toBeInstanceOf(Date);
    const { commands } = await client.chat.listCommands();
    expect(commands.map((c) => c.name).sort()).toEqual(['ban', 'giphy', 'mute', 'unban', 'unmute']);
    const giphy = await client.chat.getCommand({ name: 'giphy' });
    expect(giphy).toMatchObject({ name: 'giphy', description: 'Post a random gif to the channel', args: '[text]', set: 'fun_set' });
  });

  it('creates, reads, updates and deletes a command, then answers 404', async () => {
    const { command } = await client.chat.createCommand({ name: 'sdk-ticket', description: 'Open a ticket', args: '[text]', set: 'support_set' });
    expect(command).toMatchObject({ name: 'sdk-ticket', description: 'Open a ticket', args: '[text]', set: 'support_set' });
    expect(command!.created_at).toBeInstanceOf(Date);
    expect((await client.chat.getCommand({ name: 'sdk-ticket' })).description).toBe('Open a ticket');
    expect((await client.chat.listCommands()).commands.map((c) => c.name)).toContain('sdk-ticket');

    const { command: updated } = await client.chat.updateCommand({ name: 'sdk-ticket', description: 'Open a support ticket' });
    expect(updated).toMatchObject({ name: 'sdk-ticket', description: 'Open a support ticket', args: '[text]', set: 'support_set' });

    await client.chat.deleteCommand({ name: 'sdk-ticket' });
    const gone = await failure(client.chat.getCommand({ name: 'sdk-ticket' }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
    const again = await failure(client.chat.deleteCommand({ name: 'sdk-ticket' }));
    expect([again.code, again.metadata.responseCode]).toEqual([16, 404]);
  });

  it('creates, reads, updates and deletes a channel type, then answers 404', async () => {
    await client.chat.createCommand({ name: 'sdk-poll', description: 'Start a poll' });
    const created = await client.chat.createChannelType({
      name: 'sdk-support',
      ...required,
      typing_events: true,
      replies: true,
      commands: ['giphy', 'sdk-poll'],
      grants: { channel_member: ['read-channel', 'create-message'] },
    });
    expect(created).toMatchObject({ name: 'sdk-support', typing_events: true, replies: true, reactions: false, push_notifications: true, commands: ['giphy', 'sdk-poll'] });
    expect(created.grants.channel_member).toEqual(['read-channel', 'create-message']);
    expect(created.grants.admin!.length).toBeGreaterThan(0);

    const read = await client.chat.getChannelType({ name: 'sdk-support' });
    expect(read.commands.map((c) => c.name)).toEqual(['giphy', 'sdk-poll']);
    expect(read.commands[1]).toMatchObject({ name: 'sdk-poll', description: 'Start a poll' });

    const updated = await client.chat.updateChannelType({
      name: 'sdk-support',
      ...required,
      max_message_length: 2000,
      reactions: true,
      blocklist: 'profanity_en_2020_v1',
      blocklist_behavior: 'block',
      grants: { user: ['create-channel'] },
    });
    expect(updated).toMatchObject({ max_message_length: 2000, reactions: true, typing_events: true, blocklist: 'profanity_en_2020_v1', commands: ['giphy', 'sdk-poll'] });
    expect(updated.grants.user).toEqual(['create-channel']);
    expect(updated.grants.channel_member).toEqual(['read-channel', 'create-message']);

    await client.chat.deleteChannelType({ name: 'sdk-support' });
    const gone = await failure(client.chat.getChannelType({ name: 'sdk-support' }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
    const again = await failure(client.chat.deleteChannelType({ name: 'sdk-support' }));
    expect([again.code, again.metadata.responseCode]).toEqual([16, 404]);
    // Nothing names the command any more: it can go.
    await client.chat.deleteCommand({ name: 'sdk-poll' });
  });

  it('updates a built-in channel type but never deletes one, nor a built-in command', async () => {
    const changed = await client.chat.updateChannelType({ name: 'livestream', ...required, max_message_length: 300, typing_events: true });
    expect(changed).toMatchObject({ name: 'livestream', max_message_length: 300, typing_events: true });
    expect((await client.chat.getChannelType({ name: 'livestream' })).max_message_length).toBe(300);
    const builtin = await failure(client.chat.deleteChannelType({ name: 'messaging' }));
    expect([builtin.code, builtin.metadata.responseCode]).toEqual([4, 400]);
    const command = await failure(client.chat.deleteCommand({ name: 'giphy' }));
    expect([command.code, command.metadata.responseCode]).toEqual([4, 400]);
  });

  it('refuses duplicates, unknown commands, block lists and roles, and deleting a command in use', async () => {
    await client.chat.createChannelType({ name: 'sdk-strict', ...required });
    const dup = await failure(client.chat.createChannelType({ name: 'sdk-strict', ...required }));
    expect([dup.code, dup.metadata.responseCode]).toEqual([4, 400]);
    for (const bad of [{ commands: ['no-such-command'] }, { blocklist: 'no-such-list' }, { blocklists: [{ blocklist: 'no-such-list', behavior: 'flag' as const }] }, { grants: { no_such_role: ['read-channel'] } }]) {
      const refused = await failure(client.chat.updateChannelType({ name: 'sdk-strict', ...required, ...bad }));
      expect([refused.code, refused.metadata.responseCode]).toEqual([4, 400]);
    }
    await client.createRole({ name: 'sdk_support_agent' });
    const custom = await client.chat.updateChannelType({ name: 'sdk-strict', ...required, grants: { sdk_support_agent: ['read-channel'] } });
    expect(custom.grants.sdk_support_agent).toEqual(['read-channel']);

    await client.chat.createCommand({ name: 'sdk-used', description: 'In use' });
    await client.chat.updateChannelType({ name: 'sdk-strict', ...required, commands: ['sdk-used'] });
    const inUse = await failure(client.chat.deleteCommand({ name: 'sdk-used' }));
    expect([inUse.code, inUse.metadata.responseCode]).toEqual([4, 400]);
  });
});
