import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { seedUser } from '../contract/data.cases.js';

describe('user groups', () => {
  const env = useEmulator();
  const create = (body: object) => env.api.call({ method: 'POST', path: '/api/v2/usergroups', body });

  it('generates a time-ordered UUID v7 id when none is given', async () => {
    const r = await create({ name: 'Generated' });
    expect(r.status).toBe(201);
    expect(r.body.user_group.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await env.api.call({ method: 'DELETE', path: `/api/v2/usergroups/${r.body.user_group.id}` });
  });

  it('pages through many groups by id with id_gt, without gaps or repeats', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    for (const id of [...ids].reverse()) expect((await create({ id, name: id })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const r = await env.api.call({ method: 'GET', path: '/api/v2/usergroups', query: { limit: 5, id_gt: cursor } });
      const page = r.body.user_groups.map((g: { id: string }) => g.id);
      seen.push(...page);
      if (page.length < 5) break;
      cursor = page.at(-1);
    }
    expect(seen).toEqual(ids);
  });

  it('filters the list by team and by created_at_gt', async () => {
    await create({ id: 'team-a-1', name: 'A', team_id: 'a' });
    await create({ id: 'team-b-1', name: 'B', team_id: 'b' });
    const r = await env.api.call({ method: 'GET', path: '/api/v2/usergroups', query: { team_id: 'a', limit: 100 } });
    expect(r.body.user_groups.map((g: { id: string }) => g.id)).toEqual(['team-a-1']);
    const future = await env.api.call({ method: 'GET', path: '/api/v2/usergroups', query: { created_at_gt: new Date(Date.now() + 60_000).toISOString() } });
    expect(future.body.user_groups).toEqual([]);
  });

  it('scopes single-group calls by team_id', async () => {
    await create({ id: 'scoped', name: 'Scoped', team_id: 'red' });
    expect((await env.api.call({ method: 'GET', path: '/api/v2/usergroups/scoped', query: { team_id: 'red' } })).status).toBe(200);
    expect((await env.api.call({ method: 'GET', path: '/api/v2/usergroups/scoped', query: { team_id: 'blue' } })).status).toBe(404);
  });

  it('updates only the fields sent', async () => {
    await create({ id: 'upd', name: 'Before', description: 'keep me' });
    const r = await env.api.call({ method: 'PUT', path: '/api/v2/usergroups/upd', body: { name: 'After' } });
    expect(r.body.user_group).toMatchObject({ name: 'After', description: 'keep me' });
  });

  it('rejects a duplicate id with 400/4 and answers 404/16 after delete', async () => {
    await create({ id: 'dup', name: 'One' });
    const dup = await create({ id: 'dup', name: 'Two' });
    expect([dup.status, dup.body.code]).toEqual([400, 4]);
    expect(dup.body.message).toMatch(/^CreateUserGroup failed with error: "/);
    await env.api.call({ method: 'DELETE', path: '/api/v2/usergroups/dup' });
    const gone = await env.api.call({ method: 'GET', path: '/api/v2/usergroups/dup' });
    expect([gone.status, gone.body.code]).toEqual([404, 16]);
  });

  it('accepts at most 100 member ids per call and requires every user to exist', async () => {
    const users = Array.from({ length: 101 }, (_, i) => `member-${i}`);
    for (const u of users) seedUser(env.emu, u);
    await create({ id: 'big', name: 'Big' });
    const tooMany = await env.api.call({ method: 'POST', path: '/api/v2/usergroups/big/members', body: { member_ids: users } }, { skipRequestValidation: true });
    expect([tooMany.status, tooMany.body.code]).toEqual([400, 4]);
    const tooManyOnCreate = await env.api.call({ method: 'POST', path: '/api/v2/usergroups', body: { name: 'x', member_ids: users } }, { skipRequestValidation: true });
    expect(tooManyOnCreate.status).toBe(400);
    const unknown = await env.api.call({ method: 'POST', path: '/api/v2/usergroups/big/members', body: { member_ids: ['member-1', 'ghost'] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('ghost');
    expect((await env.api.call({ method: 'GET', path: '/api/v2/usergroups/big' })).body.user_group.members).toEqual([]);
    const ok = await env.api.call({ method: 'POST', path: '/api/v2/usergroups/big/members', body: { member_ids: users.slice(0, 100) } });
    expect(ok.body.user_group.members).toHaveLength(100);
  });

  it('adds members idempotently and ignores removing non-members', async () => {
    seedUser(env.emu, 'ann');
    seedUser(env.emu, 'bob');
    await create({ id: 'idem', name: 'Idem', member_ids: ['ann'] });
    const again = await env.api.call({ method: 'POST', path: '/api/v2/usergroups/idem/members', body: { member_ids: ['ann', 'bob', 'bob'], as_admin: true } });
    expect(again.body.user_group.members.map((m: { user_id: string; is_admin: boolean }) => [m.user_id, m.is_admin])).toEqual([['ann', false], ['bob', true]]);
    const removed = await env.api.call({ method: 'POST', path: '/api/v2/usergroups/idem/members/delete', body: { member_ids: ['ann', 'nobody'] } });
    expect(removed.body.user_group.members.map((m: { user_id: string }) => m.user_id)).toEqual(['bob']);
  });

  it('searches by name prefix with keyset paging on name_gt and id_gt', async () => {
    for (const [id, name] of [['s1', 'Support Team'], ['s2', 'Support Team'], ['s3', 'Sales'], ['s4', 'Tier one support']]) await create({ id, name });
    const r = await env.api.call({ method: 'GET', path: '/api/v2/usergroups/search', query: { query: 'supp', limit: 2 } });
    expect(r.body.user_groups.map((g: { id: string }) => g.id)).toEqual(['s1', 's2']);
    const next = await env.api.call({ method: 'GET', path: '/api/v2/usergroups/search', query: { query: 'supp', limit: 2, name_gt: 'Support Team', id_gt: 's1' } });
    expect(next.body.user_groups.map((g: { id: string }) => g.id)).toEqual(['s2', 's4']);
    const tooBig = await env.api.call({ method: 'GET', path: '/api/v2/usergroups/search', query: { query: 'supp', limit: 26 } });
    expect(tooBig.status).toBe(400);
  });

  it('refuses a soft-deleted user as a member and drops a hard-deleted user from every group', async () => {
    const users = { 'ug-soft': { id: 'ug-soft' }, 'ug-hard': { id: 'ug-hard' }, 'ug-keep': { id: 'ug-keep' } };
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users } });
    expect((await create({ id: 'del-a', name: 'A', member_ids: ['ug-hard', 'ug-keep'] })).status).toBe(201);
    expect((await create({ id: 'del-b', name: 'B', member_ids: ['ug-hard'] })).status).toBe(201);

    await env.api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['ug-soft'], user: 'soft' } });
    const soft = await env.api.call({ method: 'POST', path: '/api/v2/usergroups/del-a/members', body: { member_ids: ['ug-soft'] } });
    expect([soft.status, soft.body.code]).toEqual([400, 4]);
    expect((await create({ id: 'del-c', name: 'C', member_ids: ['ug-soft'] })).status).toBe(400);

    await env.api.call({ method: 'POST', path: '/api/v2/users/delete', body: { user_ids: ['ug-hard'], user: 'hard', messages: 'hard', conversations: 'hard' } });
    const members = async (id: string) => (await env.api.call({ method: 'GET', path: `/api/v2/usergroups/${id}` })).body.user_group.members.map((m: { user_id: string }) => m.user_id);
    expect(await members('del-a')).toEqual(['ug-keep']);
    expect(await members('del-b')).toEqual([]);
  });
});
