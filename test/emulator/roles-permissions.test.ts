import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import type { EmulatorFixture } from '../support/emulator.js';

const ROLES = '/api/v2/roles';
const PERMISSIONS = '/api/v2/permissions';
const BUILTIN_ROLES = ['admin', 'anonymous', 'channel_member', 'channel_moderator', 'guest', 'user'];
const permissionPath = (id: string) => `${PERMISSIONS}/${encodeURIComponent(id)}`;

const createRole = (env: EmulatorFixture, name: string) => env.api.call({ method: 'POST', path: ROLES, body: { name } }, { skipRequestValidation: true });
const roleNames = async (env: EmulatorFixture) => ((await env.api.call({ method: 'GET', path: ROLES })).body.roles as { name: string }[]).map((r) => r.name);
const grants = async (env: EmulatorFixture) => (await env.api.call({ method: 'GET', path: '/api/v2/app' })).body.app.grants as Record<string, string[]>;
const search = (env: EmulatorFixture, query: Record<string, string | number | boolean>) => env.api.call({ method: 'GET', path: `${ROLES}/search`, query });
const expectError = (res: { status: number; body: any }, status: number, code: number) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.code).toBe(code);
};

describe('roles', () => {
  const env = useEmulator();

  it('lists the built-in roles of a new app as not custom', async () => {
    const { body } = await env.api.call({ method: 'GET', path: ROLES });
    const builtins = body.roles.filter((r: any) => BUILTIN_ROLES.includes(r.name));
    expect(builtins.map((r: any) => r.name)).toEqual(BUILTIN_ROLES);
    for (const r of builtins) expect(r).toMatchObject({ custom: false, scopes: [] });
  });

  it('creates a custom role and lists it', async () => {
    const res = await createRole(env, 'support_agent');
    expect(res.status).toBe(201);
    expect(res.body.role).toMatchObject({ name: 'support_agent', custom: true, scopes: [] });
    expect(res.body.role.created_at).toEqual(expect.any(String));
    expect(await roleNames(env)).toContain('support_agent');
  });

  it.each([
    ['an empty name', ''],
    ['a name longer than 64 characters', 'r'.repeat(65)],
    ['the name of a built-in role', 'user'],
  ])('refuses %s with 400/4', async (_name, name) => {
    expectError(await createRole(env, name), 400, 4);
  });

  it('accepts a name of exactly 64 characters', async () => {
    expect((await createRole(env, 'x'.repeat(64))).status).toBe(201);
  });

  it('refuses a duplicate custom role with 400/4', async () => {
    await createRole(env, 'dup_role');
    const res = await createRole(env, 'dup_role');
    expectError(res, 400, 4);
    expect(res.body.message).toMatch(/^CreateRole failed with error: ".*already exists.*"$/);
  });

  it('refuses to delete a built-in role with 403/17 and keeps it', async () => {
    expectError(await env.api.call({ method: 'DELETE', path: `${ROLES}/user` }), 403, 17);
    expect(await roleNames(env)).toContain('user');
  });

  it('answers 404/16 for deleting a role that does not exist', async () => {
    expectError(await env.api.call({ method: 'DELETE', path: `${ROLES}/no_such_role` }), 404, 16);
  });

  it('refuses to delete a role still assigned to a user with 400/4', async () => {
    await createRole(env, 'in_use');
    env.emu.app().users.set('alice', { id: 'alice', role: 'in_use' });
    try {
      expectError(await env.api.call({ method: 'DELETE', path: `${ROLES}/in_use` }), 400, 4);
      expect(await roleNames(env)).toContain('in_use');
    } finally {
      env.emu.app().users.delete('alice');
    }
  });

  it('deletes a custom role together with its grants', async () => {
    await createRole(env, 'short_lived');
    await env.api.call({ method: 'PATCH', path: '/api/v2/app', body: { grants: { short_lived: ['read-channel'] } } });
    expect((await grants(env)).short_lived).toEqual(['read-channel']);
    expect((await env.api.call({ method: 'DELETE', path: `${ROLES}/short_lived` })).status).toBe(200);
    expect(await roleNames(env)).not.toContain('short_lived');
    expect(await grants(env)).not.toHaveProperty('short_lived');
  });

  describe('search', () => {
    it('matches a case-insensitive name prefix, sorted by name', async () => {
      const res = await search(env, { query: 'CHANNEL_' });
      expect(res.body.roles.map((r: any) => r.name)).toEqual(['channel_member', 'channel_moderator']);
    });

    it('pages with limit and name_gt', async () => {
      for (const n of ['pager_a', 'pager_b', 'pager_c']) await createRole(env, n);
      const first = await search(env, { query: 'pager_', limit: 2 });
      expect(first.body.roles.map((r: any) => r.name)).toEqual(['pager_a', 'pager_b']);
      const next = await search(env, { query: 'pager_', limit: 2, name_gt: 'pager_b' });
      expect(next.body.roles.map((r: any) => r.name)).toEqual(['pager_c']);
    });

    it('filters by role_type: channel roles vs user roles', async () => {
      const channel = await search(env, { query: 'c', role_type: 'channel' });
      expect(channel.body.roles.map((r: any) => r.name)).toEqual(['channel_member', 'channel_moderator']);
      const user = await search(env, { query: 'a', role_type: 'user' });
      expect(user.body.roles.map((r: any) => r.name)).toEqual(['admin', 'anonymous']);
    });

    it('leaves out global_ roles unless include_global_roles', async () => {
      await createRole(env, 'global_operator');
      expect((await search(env, { query: 'global' })).body.roles).toEqual([]);
      const res = await search(env, { query: 'global', include_global_roles: true });
      expect(res.body.roles.map((r: any) => r.name)).toEqual(['global_operator']);
    });

    it.each([
      ['a missing query', {}],
      ['a limit above 25', { query: 'a', limit: 26 }],
      ['a limit below 1', { query: 'a', limit: 0 }],
      ['an unknown role_type', { query: 'a', role_type: 'team' }],
    ])('refuses %s with 400/4', async (_name, query) => {
      expectError(await search(env, query), 400, 4);
    });
  });
});

describe('custom role quota', () => {
  const env = useEmulator({ quotas: { customRoles: 2 } });

  it('refuses a custom role beyond the quota with 400/4; deleting one frees a slot', async () => {
    expect((await createRole(env, 'q1')).status).toBe(201);
    expect((await createRole(env, 'q2')).status).toBe(201);
    expectError(await createRole(env, 'q3'), 400, 4);
    await env.api.call({ method: 'DELETE', path: `${ROLES}/q1` });
    expect((await createRole(env, 'q3')).status).toBe(201);
  });
});

describe('permissions', () => {
  const env = useEmulator();
  const create = (body: Record<string, unknown>, skipRequestValidation = false) =>
    env.api.call({ method: 'POST', path: PERMISSIONS, body }, { skipRequestValidation });
  const get = (id: string) => env.api.call({ method: 'GET', path: permissionPath(id) });

  it('lists the built-in permissions as not custom, with an action and a level', async () => {
    const { body } = await env.api.call({ method: 'GET', path: PERMISSIONS });
    const byId = new Map<string, any>(body.permissions.map((p: any) => [p.id, p]));
    for (const id of ['flag-user', 'update-user-owner', 'create-call', 'join-call', 'read-channel', 'update-message-owner', 'upload-attachment']) {
      expect(byId.get(id), id).toMatchObject({ custom: false });
    }
    expect(byId.get('read-channel')).toMatchObject({ action: 'ReadChannel', level: 'channel', owner: false });
    expect(byId.get('update-message-owner')).toMatchObject({ action: 'UpdateMessage', owner: true, owner_resource: 'message' });
    expect(byId.get('search-user')).toMatchObject({ level: 'app' });
  });

  it('creates a custom permission and reads it back', async () => {
    const sent = { id: 'read-vip-channel', name: 'Read VIP channel', action: 'ReadChannel', condition: { 'channel.vip': true }, description: 'VIPs only', same_team: true };
    expect((await create(sent)).status).toBe(201);
    const res = await get('read-vip-channel');
    expect(res.status).toBe(200);
    expect(res.body.permission).toEqual({ ...sent, owner: false, owner_resource: '', custom: true, level: 'channel', tags: [] });
  });

  it.each([
    ['a duplicate id', { id: 'dup-perm', name: 'Dup', action: 'ReadChannel', condition: {} }],
    ['the id of a built-in permission', { id: 'read-channel', name: 'Mine', action: 'ReadChannel', condition: {} }],
    ['a missing action', { id: 'no-action', name: 'No action', condition: {} }],
    ['a missing condition', { id: 'no-condition', name: 'No condition', action: 'ReadChannel' }],
    ['a name longer than 100 characters', { id: 'long-name', name: 'n'.repeat(101), action: 'ReadChannel', condition: {} }],
    ['an id longer than 255 characters', { id: 'i'.repeat(256), name: 'Long id', action: 'ReadChannel', condition: {} }],
  ])('refuses %s with 400/4', async (_name, body) => {
    await create({ id: 'dup-perm', name: 'Dup', action: 'ReadChannel', condition: {} });
    expectError(await create(body, true), 400, 4);
  });

  it('replaces a custom permission on update', async () => {
    await create({ id: 'editable', name: 'Editable', action: 'ReadChannel', condition: {}, description: 'before', owner: true });
    const res = await env.api.call({ method: 'PUT', path: permissionPath('editable'), body: { name: 'Edited', action: 'UpdateChannel', condition: { a: 1 } } });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(['duration']);
    expect((await get('editable')).body.permission).toMatchObject({ name: 'Edited', action: 'UpdateChannel', condition: { a: 1 }, description: '', owner: false, custom: true });
  });

  it('refuses to update or delete a built-in permission with 403/17', async () => {
    const body = { name: 'Hijack', action: 'ReadChannel', condition: {} };
    expectError(await env.api.call({ method: 'PUT', path: permissionPath('read-channel'), body }), 403, 17);
    expectError(await env.api.call({ method: 'DELETE', path: permissionPath('read-channel') }), 403, 17);
    expect((await get('read-channel')).body.permission).toMatchObject({ name: 'Read Channel', custom: false });
  });

  it('answers 404/16 for a permission that does not exist', async () => {
    const body = { name: 'Ghost', action: 'ReadChannel', condition: {} };
    expectError(await get('ghost'), 404, 16);
    expectError(await env.api.call({ method: 'PUT', path: permissionPath('ghost'), body }), 404, 16);
    expectError(await env.api.call({ method: 'DELETE', path: permissionPath('ghost') }), 404, 16);
  });

  it('deletes a custom permission and removes it from every grant', async () => {
    await create({ id: 'granted-then-gone', name: 'Temp', action: 'ReadChannel', condition: {} });
    await env.api.call({ method: 'PATCH', path: '/api/v2/app', body: { grants: { user: ['read-channel', 'granted-then-gone'], guest: ['granted-then-gone'] } } });
    expect((await env.api.call({ method: 'DELETE', path: permissionPath('granted-then-gone') })).status).toBe(200);
    expectError(await get('granted-then-gone'), 404, 16);
    const g = await grants(env);
    expect(g.user).toEqual(['read-channel']);
    expect(g.guest).toEqual([]);
  });
});
