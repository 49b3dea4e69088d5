import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import type { ContractCases, ContractEnv } from './types.js';

/** Contract cases for user groups, polls, imports, uploads and OG. */

const bad = { skipRequestValidation: true };

/** A user as UpdateUsers would leave it (UserResponse read shape), put straight into the state. */
export function seedUser(emu: RunningEmulator, id: string): void {
  const at = new Date().toISOString();
  emu.app().users.set(id, {
    id,
    role: 'user',
    custom: {},
    language: 'en',
    teams: [],
    created_at: at,
    updated_at: at,
    banned: false,
    online: false,
    blocked_user_ids: [],
    shadow_banned: false,
    invisible: false,
  });
}

async function group({ api, emu }: ContractEnv, id: string): Promise<void> {
  seedUser(emu, 'contract-member');
  const r = await api.call({ method: 'POST', path: '/api/v2/usergroups', body: { id, name: `Group ${id}`, member_ids: ['contract-member'] } });
  expect(r.status).toBe(201);
}

async function poll({ api }: ContractEnv, name: string): Promise<{ id: string; optionId: string }> {
  const r = await api.call({ method: 'POST', path: '/api/v2/polls', body: { name, user_id: 'contract-poller', options: [{ text: 'yes' }, { text: 'no' }] } });
  expect(r.status).toBe(201);
  return { id: r.body.poll.id, optionId: r.body.poll.options[0].id };
}

const fileForm = (name: string, type: string, content: string | Uint8Array = 'hello') => {
  const form = new FormData();
  form.append('file', new Blob([content], { type }), name);
  return form;
};
/** The first bytes of a PNG and a JPEG: Stream tells an image by its content, not its declared type. */
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]);

export const cases: ContractCases = {
  async ListUserGroups(env) {
    await group(env, 'contract-list');
    expect((await env.api.call({ method: 'GET', path: '/api/v2/usergroups', query: { limit: 10 } })).status).toBe(200);
    expect((await env.api.call({ method: 'GET', path: '/api/v2/usergroups', query: { limit: 101 } })).status).toBe(400);
  },
  async CreateUserGroup(env) {
    await group(env, 'contract-create');
    const dup = await env.api.call({ method: 'POST', path: '/api/v2/usergroups', body: { id: 'contract-create', name: 'again' } });
    expect(dup.status).toBe(400);
    expect(dup.body.code).toBe(4);
  },
  async GetUserGroup(env) {
    await group(env, 'contract-get');
    const r = await env.api.call({ method: 'GET', path: '/api/v2/usergroups/contract-get' });
    expect(r.body.user_group.members).toHaveLength(1);
    const missing = await env.api.call({ method: 'GET', path: '/api/v2/usergroups/contract-missing' });
    expect([missing.status, missing.body.code]).toEqual([404, 16]);
  },
  async UpdateUserGroup(env) {
    await group(env, 'contract-update');
    expect((await env.api.call({ method: 'PUT', path: '/api/v2/usergroups/contract-update', body: { description: 'd' } })).status).toBe(201);
    expect((await env.api.call({ method: 'PUT', path: '/api/v2/usergroups/contract-update', body: { name: '' } }, bad)).status).toBe(400);
  },
  async DeleteUserGroup(env) {
    await group(env, 'contract-delete');
    expect((await env.api.call({ method: 'DELETE', path: '/api/v2/usergroups/contract-delete' })).status).toBe(200);
    expect((await env.api.call({ method: 'DELETE', path: '/api/v2/usergroups/contract-delete' })).status).toBe(404);
  },
  async SearchUserGroups(env) {
    await group(env, 'contract-search');
    const r = await env.api.call({ method: 'GET', path: '/api/v2/usergroups/search', query: { query: 'group contract-s' } });
    expect(r.status).toBe(200);
    expect((await env.api.call({ method: 'GET', path: '/api/v2/usergroups/search' })).status).toBe(400);
  },
  async AddUserGroupMembers(env) {
    await group(env, 'contract-add');
    seedUser(env.emu, 'contract-member-2');
    const r = await env.api.call({ method: 'POST', path: '/api/v2/usergroups/contract-add/members', body: { member_ids: ['contract-member-2'] } });
    expect(r.body.user_group.members).toHaveLength(2);
    const unknown = await env.api.call({ method: 'POST', path: '/api/v2/usergroups/contract-add/members', body: { member_ids: ['nobody-here'] } });
    expect(unknown.status).toBe(400);
  },
  async RemoveUserGroupMembers(env) {
    await group(env, 'contract-remove');
    const r = await env.api.call({ method: 'POST', path: '/api/v2/usergroups/contract-remove/members/delete', body: { member_ids: ['contract-member'] } });
    expect(r.body.user_group.members).toEqual([]);
    expect((await env.api.call({ method: 'POST', path: '/api/v2/usergroups/contract-remove/members/delete', body: { member_ids: [] } }, bad)).status).toBe(400);
  },

  async CreatePoll(env) {
    await poll(env, 'contract create');
    const noName = await env.api.call({ method: 'POST', path: '/api/v2/polls', body: { user_id: 'contract-poller' } }, bad);
    expect(noName.status).toBe(400);
  },
  async UpdatePoll(env) {
    const p = await poll(env, 'contract update');
    const r = await env.api.call({ method: 'PUT', path: '/api/v2/polls', body: { id: p.id, name: 'renamed', options: [{ id: p.optionId, text: 'yes!' }] } });
    expect(r.body.poll.options).toHaveLength(1);
    expect((await env.api.call({ method: 'PUT', path: '/api/v2/polls', body: { id: 'contract-no-poll', name: 'x' } })).status).toBe(404);
  },
  async UpdatePollPartial(env) {
    const p = await poll(env, 'contract partial');
    expect((await env.api.call({ method: 'PATCH', path: `/api/v2/polls/${p.id}`, body: { set: { is_closed: true } } })).status).toBe(200);
    expect((await env.api.call({ method: 'PATCH', path: `/api/v2/polls/${p.id}`, body: { set: { voting_visibility: 'secret' } } })).status).toBe(400);
  },
  async QueryPolls(env) {
    await poll(env, 'contract query');
    const r = await env.api.call({ method: 'POST', path: '/api/v2/polls/query', body: { filter: { name: 'contract query' }, sort: [{ field: 'name', direction: 1 }] } });
    expect(r.body.polls).toHaveLength(1);
    expect((await env.api.call({ method: 'POST', path: '/api/v2/polls/query', body: { filter: { color: 'red' } } })).status).toBe(400);
  },
  async GetPoll(env) {
    const p = await poll(env, 'contract get');
    expect((await env.api.call({ method: 'GET', path: `/api/v2/polls/${p.id}` })).status).toBe(200);
    expect((await env.api.call({ method: 'GET', path: '/api/v2/polls/contract-no-poll' })).status).toBe(404);
  },
  async DeletePoll(env) {
    const p = await poll(env, 'contract delete');
    expect((await env.api.call({ method: 'DELETE', path: `/api/v2/polls/${p.id}` })).status).toBe(200);
    expect((await env.api.call({ method: 'DELETE', path: `/api/v2/polls/${p.id}` })).status).toBe(404);
  },
  async CreatePollOption(env) {
    const p = await poll(env, 'contract option create');
    expect((await env.api.call({ method: 'POST', path: `/api/v2/polls/${p.id}/options`, body: { text: 'maybe' } })).status).toBe(201);
    expect((await env.api.call({ method: 'POST', path: `/api/v2/polls/${p.id}/options`, body: { text: 'maybe' } })).status).toBe(400);
  },
  async UpdatePollOption(env) {
    const p = await poll(env, 'contract option update');
    expect((await env.api.call({ method: 'PUT', path: `/api/v2/polls/${p.id}/options`, body: { id: p.optionId, text: 'sure' } })).status).toBe(201);
    expect((await env.api.call({ method: 'PUT', path: `/api/v2/polls/${p.id}/options`, body: { id: p.optionId, text: 'no' } })).status).toBe(400);
  },
  async GetPollOption(env) {
    const p = await poll(env, 'contract option get');
    expect((await env.api.call({ method: 'GET', path: `/api/v2/polls/${p.id}/options/${p.optionId}` })).body.poll_option.text).toBe('yes');
    expect((await env.api.call({ method: 'GET', path: `/api/v2/polls/${p.id}/options/nope` })).status).toBe(404);
  },
  async DeletePollOption(env) {
    const p = await poll(env, 'contract option delete');
    expect((await env.api.call({ method: 'DELETE', path: `/api/v2/polls/${p.id}/options/${p.optionId}` })).status).toBe(200);
    expect((await env.api.call({ method: 'DELETE', path: `/api/v2/polls/${p.id}/options/${p.optionId}` })).status).toBe(404);
  },
  async QueryPollVotes(env) {
    const p = await poll(env, 'contract votes');
    const at = new Date().toISOString();
    env.emu.app().pollVotes.set(p.id, [{ id: 'v1', poll_id: p.id, option_id: p.optionId, user_id: 'contract-poller', created_at: at, updated_at: at }]);
    const r = await env.api.call({ method: 'POST', path: `/api/v2/polls/${p.id}/votes`, body: { filter: { option_id: p.optionId } } });
    expect(r.body.votes).toHaveLength(1);
    expect((await env.api.call({ method: 'POST', path: `/api/v2/polls/${p.id}/votes`, body: { limit: 101 } }, bad)).status).toBe(400);
  },

  async CreateImportURL({ api }) {
    const r = await api.call({ method: 'POST', path: '/api/v2/import_urls', body: { filename: 'data.jsonl' } });
    expect(r.body.path).toMatch(/data\.jsonl$/);
    expect((await api.call({ method: 'POST', path: '/api/v2/import_urls', body: {} })).status).toBe(400);
  },
  async CreateImport({ api }) {
    expect((await api.call({ method: 'POST', path: '/api/v2/imports', body: { path: 's3://stream-import/1/x/data.jsonl', mode: 'upsert' } })).status).toBe(201);
    expect((await api.call({ method: 'POST', path: '/api/v2/imports', body: { path: 's3://x', mode: 'merge' } }, bad)).status).toBe(400);
  },
  async ListImports({ api }) {
    await api.call({ method: 'POST', path: '/api/v2/imports', body: { path: 's3://stream-import/1/y/data.jsonl', mode: 'insert' } });
    expect((await api.call({ method: 'GET', path: '/api/v2/imports' })).body.import_tasks.length).toBeGreaterThan(0);
    // ListImports takes no parameters; a wrong key is the only 4xx it can give.
    expect((await api.call({ method: 'GET', path: '/api/v2/imports', apiKey: 'no-such-key' })).status).toBe(401);
  },
  async GetImport({ api }) {
    const created = await api.call({ method: 'POST', path: '/api/v2/imports', body: { path: 's3://stream-import/1/z/data.jsonl', mode: 'insert' } });
    const r = await api.call({ method: 'GET', path: `/api/v2/imports/${created.body.import_task.id}` });
    expect(r.body.import_task.state).toBe('completed');
    expect((await api.call({ method: 'GET', path: '/api/v2/imports/no-such-import' })).status).toBe(404);
  },
  async ListImportV2Tasks({ api }) {
    await api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'chat', settings: { path: 'a.jsonl' } } });
    expect((await api.call({ method: 'GET', path: '/api/v2/imports/v2' })).status).toBe(200);
    expect((await api.call({ method: 'GET', path: '/api/v2/imports/v2', query: { state: 'done' } })).status).toBe(400);
  },
  async CreateImportV2Task({ api }) {
    expect((await api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'feeds', settings: { mode: 'upsert' } } })).status).toBe(201);
    expect((await api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'video', settings: {} } }, bad)).status).toBe(400);
  },
  async GetImportV2Task({ api }) {
    const created = await api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'chat', settings: {} } });
    expect((await api.call({ method: 'GET', path: `/api/v2/imports/v2/${created.body.id}` })).status).toBe(200);
    expect((await api.call({ method: 'GET', path: '/api/v2/imports/v2/no-such-task' })).status).toBe(404);
  },
  async DeleteImportV2Task({ api, emu }) {
    // Only queued tasks can be deleted: hold tasks queued for this case.
    emu.tasks.setStep(60_000);
    try {
      const created = await api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'chat', settings: {} } });
      expect((await api.call({ method: 'DELETE', path: `/api/v2/imports/v2/${created.body.id}` })).status).toBe(200);
      expect((await api.call({ method: 'DELETE', path: `/api/v2/imports/v2/${created.body.id}` })).status).toBe(404);
    } finally {
      emu.tasks.setStep(0);
    }
  },
  async CancelImportV2Task({ api, emu }) {
    emu.tasks.setStep(60_000);
    try {
      const created = await api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'chat', settings: {} } });
      expect((await api.call({ method: 'POST', path: `/api/v2/imports/v2/${created.body.id}/cancel` })).status).toBe(201);
      expect((await api.call({ method: 'POST', path: `/api/v2/imports/v2/${created.body.id}/cancel` })).status).toBe(400);
    } finally {
      emu.tasks.setStep(0);
    }
  },

  async UploadFile({ api }) {
    const r = await api.call({ method: 'POST', path: '/api/v2/uploads/file', rawBody: fileForm('notes.txt', 'text/plain') });
    expect(r.body.file).toMatch(/notes\.txt$/);
    expect((await api.call({ method: 'POST', path: '/api/v2/uploads/file', rawBody: new FormData() })).status).toBe(400);
  },
  async DeleteFile({ api }) {
    const r = await api.call({ method: 'POST', path: '/api/v2/uploads/file', rawBody: fileForm('gone.txt', 'text/plain') });
    expect((await api.call({ method: 'DELETE', path: '/api/v2/uploads/file', query: { url: r.body.file } })).status).toBe(200);
    expect((await api.call({ method: 'DELETE', path: '/api/v2/uploads/file', query: { url: r.body.file } })).status).toBe(404);
  },
  async UploadImage({ api }) {
    const r = await api.call({ method: 'POST', path: '/api/v2/uploads/image', rawBody: fileForm('cat.png', 'image/png', PNG) });
    expect(r.body.thumb_url).toBeTruthy();
    expect((await api.call({ method: 'POST', path: '/api/v2/uploads/image', rawBody: fileForm('notes.txt', 'text/plain') })).status).toBe(400);
  },
  async DeleteImage({ api }) {
    const r = await api.call({ method: 'POST', path: '/api/v2/uploads/image', rawBody: fileForm('dog.jpg', 'image/jpeg', JPEG) });
    expect((await api.call({ method: 'DELETE', path: '/api/v2/uploads/image', query: { url: r.body.file } })).status).toBe(200);
    expect((await api.call({ method: 'DELETE', path: '/api/v2/uploads/image' })).status).toBe(400);
  },
  async GetOG({ api }) {
    const r = await api.call({ method: 'GET', path: '/api/v2/og', query: { url: 'https://example.com/blog/hello-world' } });
    expect(r.body.title).toBe('Hello world');
    expect((await api.call({ method: 'GET', path: '/api/v2/og', query: { url: 'not a url' } })).status).toBe(400);
  },
};
