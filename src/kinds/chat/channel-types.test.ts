import { describe, expect, it } from 'vitest';
import { expectRejected, expectValidRequests, plannedRequests } from '../../../test/support/kinds.js';
import { loadSpec } from '../../../test/support/spec.js';
import type { Rec } from '../../core/model.js';
import { CHANNEL_TYPE_FIELDS, channelTypeSchema } from './channel-type-schema.js';
import { channelTypeKind, channelTypeLive } from './channel-types.js';
import { commandKind, commandLive, commandSchema } from './commands.js';

const plan = (fields: Rec, live?: Rec) => plannedRequests(channelTypeKind, channelTypeLive, fields, live);

/** GetChannelType's answer for a custom type, trimmed to what the tests read (commands come back as objects). */
const LIVE: Rec = {
  name: 'support',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  typing_events: true,
  reactions: true,
  max_message_length: 2000,
  automod: 'simple',
  automod_behavior: 'flag',
  automod_thresholds: { toxic: { flag: 0.5, block: 0.9 }, spam: { flag: 0.7 } },
  commands: [{ name: 'giphy', description: 'Post a random gif to the channel', args: '[text]', set: 'fun_set' }, { name: 'ticket', description: 'Open', args: '', set: '' }],
  grants: { channel_member: ['read-channel', 'create-message'], channel_moderator: ['read-channel', 'ban-channel-member'] },
  permissions: [],
};

describe('channel type schema', () => {
  it('accepts a realistic support channel type', () => {
    const value = { name: 'support', typing_events: true, max_message_length: 2000, automod: 'AI', automod_behavior: 'shadow_block', commands: ['ticket', 'giphy'], blocklists: [{ blocklist: 'words', behavior: 'block' }], grants: { channel_member: ['read-channel'] }, message_retention: '30' };
    expect(channelTypeSchema.safeParse(value).success).toBe(true);
  });

  it.each([
    ['an unknown field', { name: 'x', typing_event: true }, /typing_event/],
    ['a message length past 20,000', { name: 'x', max_message_length: 20_001 }, /max_message_length/],
    ['an automod the API does not have', { name: 'x', automod: 'strict' }, /automod/],
    ['a command named twice', { name: 'x', commands: ['giphy', 'giphy'] }, /commands lists "giphy" twice/],
    ['a block list named twice', { name: 'x', blocklists: [{ blocklist: 'a', behavior: 'flag' }, { blocklist: 'a', behavior: 'block' }] }, /blocklists lists "a" twice/],
    ['a retention that is neither infinite nor days', { name: 'x', message_retention: 'forever' }, /message_retention/],
    ['a name with a space', { name: 'my type' }, /letters, digits/],
  ])('rejects %s', (_name, value, message) => expectRejected(channelTypeSchema, value, message));
});

describe('channel type requests', () => {
  it('creates with Stream\'s required fields filled in when undeclared, valid for the spec', () => {
    const reqs = plan({ name: 'support', typing_events: true, commands: ['giphy'] });
    expect(reqs).toEqual([{ op: 'CreateChannelType', method: 'POST', path: '/api/v2/chat/channeltypes', body: { name: 'support', typing_events: true, commands: ['giphy'], max_message_length: 5000, automod: 'disabled', automod_behavior: 'flag' }, idempotent: false }]);
    expectValidRequests(reqs);
  });

  it('sets what CreateChannelType does not take (quotes, thresholds, shadow_block) through an update right after the create', () => {
    const reqs = plan({ name: 'quiet', quotes: true, automod: 'AI', automod_behavior: 'shadow_block', automod_thresholds: { toxic: { flag: 0.6 } } });
    expect(reqs.map((r) => r.op)).toEqual(['CreateChannelType', 'UpdateChannelType']);
    expect(reqs[0]!.body).toEqual({ name: 'quiet', automod: 'AI', automod_behavior: 'flag', max_message_length: 5000 });
    expect(reqs[1]!.body).toEqual({ max_message_length: 5000, automod: 'AI', automod_behavior: 'shadow_block', quotes: true, automod_thresholds: { toxic: { flag: 0.6 } } });
    expectValidRequests(reqs);
  });

  it('plans nothing when the declared fields match, whatever else the app has (commands and grants as sets)', () => {
    expect(plan({ name: 'support', typing_events: true, commands: ['ticket', 'giphy'], grants: { channel_member: ['create-message', 'read-channel'] } }, LIVE)).toEqual([]);
  });

  it('sends the changed fields, only the roles whose grants changed, nested objects over the app\'s, and the required fields as the app has them', () => {
    const reqs = plan({ name: 'support', reactions: false, grants: { channel_member: ['read-channel'], channel_moderator: ['read-channel', 'ban-channel-member'] }, automod_thresholds: { toxic: { flag: 0.4 } } }, LIVE);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]).toMatchObject({ op: 'UpdateChannelType', method: 'PUT', params: { name: 'support' } });
    expect(reqs[0]!.body).toEqual({
      max_message_length: 2000,
      automod: 'simple',
      automod_behavior: 'flag',
      reactions: false,
      grants: { channel_member: ['read-channel'] },
      automod_thresholds: { toxic: { flag: 0.4, block: 0.9 }, spam: { flag: 0.7 } },
    });
    expectValidRequests(reqs);
  });

  it('reads commands as names and no block list as ""; deletes by name; built-ins are never delete candidates', () => {
    const live = channelTypeLive(LIVE);
    expect(live.fields).toMatchObject({ commands: ['giphy', 'ticket'], blocklist: '' });
    expect(live.fields).not.toHaveProperty('created_at');
    expect(channelTypeKind.requests({ action: 'delete', address: live.address, live, fields: [] })).toEqual([{ op: 'DeleteChannelType', method: 'DELETE', path: '/api/v2/chat/channeltypes/{name}', params: { name: 'support' }, idempotent: true }]);
    expect(channelTypeKind.isBuiltin!(channelTypeLive({ ...LIVE, name: 'messaging' }))).toBe(true);
    expect(channelTypeKind.isBuiltin!(live)).toBe(false);
  });

  it('names the commands, block lists, roles and permissions it uses ("all" and built-in roles are not references)', () => {
    const refs = channelTypeKind.refs!({ name: 's', commands: ['all', 'ticket'], blocklist: 'words', blocklists: [{ blocklist: 'links', behavior: 'flag' }], grants: { channel_member: ['read-channel'], agent: ['pin-message'], former: [] } });
    expect(refs).toEqual(['command/ticket', 'blocklist/words', 'blocklist/links', 'permission/read-channel', 'role/agent', 'permission/pin-message']);
    expect(channelTypeKind.refs!({ name: 's', blocklist: '' })).toEqual([]);
  });
});

describe('command kind', () => {
  it('refuses a built-in name and a name with a space', () => {
    expectRejected(commandSchema, { name: 'giphy', description: 'x' }, /giphy is a built-in command/);
    expectRejected(commandSchema, { name: 'open ticket', description: 'x' }, /letters, digits/);
    expectRejected(commandSchema, { name: 'ticket' }, /description/);
    // Stream reads an empty args or set back as absent: "" could never compare equal.
    expectRejected(commandSchema, { name: 'ticket', description: 'x', args: '' }, /args must not be empty/);
  });

  it('creates, and updates with the description UpdateCommand requires, valid for the spec', () => {
    const create = plannedRequests(commandKind, commandLive, { name: 'ticket', description: 'Open a ticket', set: 'support_set' });
    expect(create).toEqual([{ op: 'CreateCommand', method: 'POST', path: '/api/v2/chat/commands', body: { name: 'ticket', description: 'Open a ticket', set: 'support_set' }, idempotent: false }]);
    const update = plannedRequests(commandKind, commandLive, { name: 'ticket', description: 'Open a ticket', args: '[summary]' }, { name: 'ticket', description: 'Open a ticket', args: '', set: '' });
    expect(update).toEqual([{ op: 'UpdateCommand', method: 'PUT', path: '/api/v2/chat/commands/{name}', params: { name: 'ticket' }, body: { args: '[summary]', description: 'Open a ticket' }, idempotent: true }]);
    expectValidRequests([...create, ...update]);
    expect(commandKind.isBuiltin!(commandLive({ name: 'mute', description: 'Mute a user', args: '[@username]', set: 'moderation_set' }))).toBe(true);
  });
});

describe('channel type schema against the chat spec', () => {
  const spec = loadSpec('chat');
  it.skipIf(!spec)('declares exactly the fields CreateChannelType and UpdateChannelType take', () => {
    const props = (name: string) => Object.keys((spec!.raw.components.schemas[name] as { properties: Rec }).properties);
    expect([...CHANNEL_TYPE_FIELDS].sort()).toEqual([...new Set([...props('CreateChannelTypeRequest'), ...props('UpdateChannelTypeRequest')])].sort());
  });
});
