import { expect } from 'vitest';
import type { TestApi } from '../support/api.js';
import type { ContractCases } from './types.js';

/** Contract cases for chat channel types and commands, validated against the chat spec. */

const CHANNEL_TYPES = '/api/v2/chat/channeltypes';
const COMMANDS = '/api/v2/chat/commands';

const required = { max_message_length: 5000, automod: 'disabled', automod_behavior: 'flag' } as const;

async function createChannelType(api: TestApi, name: string) {
  const r = await api.call({ method: 'POST', path: CHANNEL_TYPES, body: { name, ...required, commands: ['giphy'], grants: { channel_member: ['read-channel', 'create-message'] } } });
  expect(r.status).toBe(201);
  return r.body;
}

async function createCommand(api: TestApi, name: string) {
  const r = await api.call({ method: 'POST', path: COMMANDS, body: { name, description: 'A contract command', args: '[text]', set: 'contract_set' } });
  expect(r.status).toBe(201);
  return r.body.command;
}

export const cases: ContractCases = {
  async ListChannelTypes({ api }) {
    await createChannelType(api, 'contract-list');
    const ok = await api.call({ method: 'GET', path: CHANNEL_TYPES });
    expect(ok.status).toBe(200);
    const unauthorized = await api.call({ method: 'GET', path: CHANNEL_TYPES, token: 'not-a-jwt' });
    expect(unauthorized.status).toBe(401);
  },
  async CreateChannelType({ api }) {
    await createChannelType(api, 'contract-create');
    const dup = await api.call({ method: 'POST', path: CHANNEL_TYPES, body: { name: 'contract-create', ...required } });
    expect(dup.status).toBe(400);
  },
  async GetChannelType({ api }) {
    const ok = await api.call({ method: 'GET', path: `${CHANNEL_TYPES}/messaging` });
    expect(ok.status).toBe(200);
    const missing = await api.call({ method: 'GET', path: `${CHANNEL_TYPES}/contract-missing` });
    expect(missing.status).toBe(404);
  },
  async UpdateChannelType({ api }) {
    await createChannelType(api, 'contract-update');
    const ok = await api.call({
      method: 'PUT',
      path: `${CHANNEL_TYPES}/contract-update`,
      body: { ...required, automod_behavior: 'shadow_block', reactions: true, quotes: true, commands: ['giphy', 'ban'], blocklist: 'profanity_en_2020_v1', blocklist_behavior: 'block', partition_size: 20 },
    });
    expect(ok.status).toBe(201);
    const unknownCommand = await api.call({ method: 'PUT', path: `${CHANNEL_TYPES}/contract-update`, body: { ...required, commands: ['no-such-command'] } });
    expect(unknownCommand.status).toBe(400);
  },
  async DeleteChannelType({ api }) {
    await createChannelType(api, 'contract-delete');
    const ok = await api.call({ method: 'DELETE', path: `${CHANNEL_TYPES}/contract-delete` });
    expect(ok.status).toBe(200);
    const builtin = await api.call({ method: 'DELETE', path: `${CHANNEL_TYPES}/messaging` });
    expect(builtin.status).toBe(400);
  },

  async ListCommands({ api }) {
    await createCommand(api, 'contract-list');
    const ok = await api.call({ method: 'GET', path: COMMANDS });
    expect(ok.status).toBe(200);
    const unauthorized = await api.call({ method: 'GET', path: COMMANDS, token: 'not-a-jwt' });
    expect(unauthorized.status).toBe(401);
  },
  async CreateCommand({ api }) {
    await createCommand(api, 'contract-create');
    const dup = await api.call({ method: 'POST', path: COMMANDS, body: { name: 'contract-create', description: 'again' } });
    expect(dup.status).toBe(400);
  },
  async GetCommand({ api }) {
    const ok = await api.call({ method: 'GET', path: `${COMMANDS}/giphy` });
    expect(ok.status).toBe(200);
    const missing = await api.call({ method: 'GET', path: `${COMMANDS}/contract-missing` });
    expect(missing.status).toBe(404);
  },
  async UpdateCommand({ api }) {
    await createCommand(api, 'contract-update');
    const ok = await api.call({ method: 'PUT', path: `${COMMANDS}/contract-update`, body: { description: 'Updated', args: '[@username]' } });
    expect(ok.status).toBe(201);
    const missing = await api.call({ method: 'PUT', path: `${COMMANDS}/contract-missing`, body: { description: 'x' } });
    expect(missing.status).toBe(404);
  },
  async DeleteCommand({ api }) {
    await createCommand(api, 'contract-delete');
    const ok = await api.call({ method: 'DELETE', path: `${COMMANDS}/contract-delete` });
    expect(ok.status).toBe(200);
    const again = await api.call({ method: 'DELETE', path: `${COMMANDS}/contract-delete` });
    expect(again.status).toBe(404);
  },
};
