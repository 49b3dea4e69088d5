import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';

/** A small population with distinct creation times (set in the emulator's state: the API does not take them). */
const PEOPLE = [
  { id: 'alice', name: 'Alice Smith', role: 'admin', teams: ['red'], custom: { age: 31, city: 'Amsterdam', tags: ['a', 'b'], address: { zip: '1011' } } },
  { id: 'bob', name: 'Bob Stone', teams: ['red', 'blue'], custom: { age: 25, city: 'Berlin' } },
  { id: 'carol', name: 'Carol Smithers', teams: ['blue'], custom: { age: 42 } },
  { id: 'dave', name: 'dave', custom: { age: 25, city: 'Amsterdam', vip: true } },
  { id: 'erin', language: 'nl', custom: { city: 'Utrecht' } },
];

describe('QueryUsers', () => {
  const env = useEmulator();

  beforeAll(async () => {
    const users = Object.fromEntries(PEOPLE.map((p) => [p.id, p]));
    await env.api.call({ method: 'POST', path: '/api/v2/users', body: { users } });
    PEOPLE.forEach((p, i) => {
      env.emu.app().users.get(p.id)!.created_at = new Date(Date.UTC(2024, 0, 1 + i)).toISOString();
    });
  });

  const query = (payload: Record<string, unknown>) => env.api.call({ method: 'GET', path: '/api/v2/users', query: { payload } });
  const ids = async (payload: Record<string, unknown>) => {
    const res = await query(payload);
    expect(res.status).toBe(200);
    return res.body.users.map((u: { id: string }) => u.id);
  };
  const byId = [{ field: 'id', direction: 1 }];

  it.each<[string, Record<string, unknown>, string[]]>([
    ['an empty filter (all users)', {}, ['alice', 'bob', 'carol', 'dave', 'erin']],
    ['implicit equality', { id: 'bob' }, ['bob']],
    ['$eq on role', { role: { $eq: 'admin' } }, ['alice']],
    ['$ne', { role: { $ne: 'user' } }, ['alice']],
    ['$in on id', { id: { $in: ['carol', 'erin', 'nobody'] } }, ['carol', 'erin']],
    ['$nin', { id: { $nin: ['alice', 'bob'] } }, ['carol', 'dave', 'erin']],
    ['a team (array field) by equality', { teams: 'blue' }, ['bob', 'carol']],
    ['$in on an array field', { teams: { $in: ['red'] } }, ['alice', 'bob']],
    ['$in on a number, with operands of other types', { age: { $in: [25, '42', null, { age: 31 }] } }, ['bob', 'dave']],
    ['$in on a date written another way', { created_at: { $in: ['2024-01-02T00:00:00Z', 'not a date'] } }, ['bob']],
    ['$nin on a date written another way', { created_at: { $nin: ['2024-01-02T00:00:00Z'] } }, ['alice', 'carol', 'dave', 'erin']],
    ['$contains on an array field', { teams: { $contains: 'red' } }, ['alice', 'bob']],
    ['a nested custom field via custom.x', { 'custom.city': 'Amsterdam' }, ['alice', 'dave']],
    ['a bare custom key', { city: 'Amsterdam' }, ['alice', 'dave']],
    ['a deep custom path', { 'address.zip': '1011' }, ['alice']],
    ['$gt on a number', { age: { $gt: 30 } }, ['alice', 'carol']],
    ['$gte and $lte together', { age: { $gte: 25, $lte: 31 } }, ['alice', 'bob', 'dave']],
    ['$lt on a date', { created_at: { $lt: '2024-01-03T00:00:00Z' } }, ['alice', 'bob']],
    ['$gte on a date', { created_at: { $gte: '2024-01-04T00:00:00.000Z' } }, ['dave', 'erin']],
    ['$autocomplete on a word prefix, case-insensitive', { name: { $autocomplete: 'smi' } }, ['alice', 'carol']],
    ['$exists true', { name: { $exists: true } }, ['alice', 'bob', 'carol', 'dave']],
    ['$exists false on a custom field', { age: { $exists: false } }, ['erin']],
    ['$and', { $and: [{ city: 'Amsterdam' }, { age: 25 }] }, ['dave']],
    ['$or', { $or: [{ id: 'alice' }, { language: 'nl' }] }, ['alice', 'erin']],
    ['$nor', { $nor: [{ teams: 'red' }, { city: 'Utrecht' }] }, ['carol', 'dave']],
    ['a boolean custom field', { vip: true }, ['dave']],
    ['several fields at once (implicit and)', { city: 'Amsterdam', role: 'user' }, ['dave']],
  ])('filters by %s', async (_label, filter_conditions, expected) => {
    expect(await ids({ filter_conditions, sort: byId })).toEqual(expected);
  });

  it.each<[string, unknown[] | undefined, string[]]>([
    ['newest first by default', undefined, ['erin', 'dave', 'carol', 'bob', 'alice']],
    ['by id descending', [{ field: 'id', direction: -1 }], ['erin', 'dave', 'carol', 'bob', 'alice']],
    ['by a custom number, ties by id', [{ field: 'age', direction: 1 }], ['erin', 'bob', 'dave', 'alice', 'carol']],
    ['by two fields', [{ field: 'city', direction: 1 }, { field: 'age', direction: -1 }], ['carol', 'alice', 'dave', 'bob', 'erin']],
    ['by created_at ascending', [{ field: 'created_at', direction: 1 }], ['alice', 'bob', 'carol', 'dave', 'erin']],
  ])('sorts %s', async (_label, sort, expected) => {
    expect(await ids({ filter_conditions: {}, ...(sort ? { sort } : {}) })).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['limit', { limit: 2 }, ['alice', 'bob']],
    ['offset', { offset: 3 }, ['dave', 'erin']],
    ['limit and offset', { limit: 2, offset: 1 }, ['bob', 'carol']],
    ['an offset past the end', { offset: 10 }, []],
    ['keyset paging with id $gt', { filter_conditions: { id: { $gt: 'bob' } }, limit: 2 }, ['carol', 'dave']],
  ])('pages with %s', async (_label, extra, expected) => {
    expect(await ids({ filter_conditions: {}, sort: byId, ...extra })).toEqual(expected);
  });

  it('answers full users with devices and counters', async () => {
    const res = await query({ filter_conditions: { id: 'alice' } });
    expect(res.body.users[0]).toMatchObject({ id: 'alice', role: 'admin', devices: [], mutes: [], channel_mutes: [], unread_count: 0, blocked_user_ids: [] });
  });

  it.each<[string, Record<string, string>]>([
    ['no payload', {}],
    ['a payload that is not JSON', { payload: '{nope' }],
  ])('rejects %s with 400/4', async (_label, q) => {
    const res = await env.api.call({ method: 'GET', path: '/api/v2/users', query: q });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(4);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a missing filter_conditions', { limit: 1 }],
    ['a limit above 100', { filter_conditions: {}, limit: 101 }],
    ['an offset above 1000', { filter_conditions: {}, offset: 1001 }],
    ['more than 5 sort fields', { filter_conditions: {}, sort: Array.from({ length: 6 }, () => ({ field: 'id' })) }],
    ['a sort direction other than 1/-1', { filter_conditions: {}, sort: [{ field: 'id', direction: 2 }] }],
    ['an unknown operator', { filter_conditions: { id: { $regex: 'a' } } }],
    ['$in without an array', { filter_conditions: { id: { $in: 'alice' } } }],
    ['an empty $or', { filter_conditions: { $or: [] } }],
    ['$exists with a non-boolean', { filter_conditions: { name: { $exists: 'yes' } } }],
  ])('rejects %s with 400/4', async (_label, payload) => {
    const res = await query(payload);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(4);
    expect(res.body.message).toMatch(/^QueryUsers failed with error: "/);
  });
});
