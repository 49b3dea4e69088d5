import { describe, expect, it } from 'vitest';
import type { Api } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import { defineKind, getOrUndefined } from './define.js';
import { KINDS } from './registry.js';

const minimal = { fetch: async () => [], requests: () => [] };

describe('defineKind', () => {
  it('fills in the defaults a simple kind leaves out', () => {
    const k = defineKind({ kind: 'widget', section: 'widgets', identityFields: ['name'], ...minimal });
    expect(k).toMatchObject({ dependsOn: [], secretFields: [], writeOnlyFields: [], setFields: [], prunable: true });
    expect(k.address({ name: 'w1', size: 3 })).toBe('widget/w1');
    expect(k.entries!([{ name: 'a' }, { name: 'b' }])).toEqual([
      { kind: 'widget', fields: { name: 'a' }, path: ['widgets', 0] },
      { kind: 'widget', fields: { name: 'b' }, path: ['widgets', 1] },
    ]);
  });

  it('keeps what the kind sets over the defaults, and addresses a singleton by its kind', () => {
    const k = defineKind({ kind: 'thing', section: 'thing', singleton: true, prunable: false, setFields: ['/tags'], ...minimal });
    expect(k.prunable).toBe(false);
    expect(k.setFields).toEqual(['/tags']);
    expect(k.address({ anything: 1 })).toBe('thing');
    expect(k.entries).toBeUndefined();
  });

  it('addresses every registered kind by its kind and identity fields, in order', () => {
    for (const kind of KINDS) {
      const fields = Object.fromEntries(kind.identityFields.map((f, i) => [f, `v${i}`]));
      expect(kind.address(fields)).toBe([kind.kind, ...kind.identityFields.map((_, i) => `v${i}`)].join('/'));
    }
  });
});

describe('getOrUndefined', () => {
  const answering = (err?: unknown): Api => ({ send: <T>() => (err ? Promise.reject(err) : Promise.resolve({ ok: true } as T)) });
  const req = { op: 'GetThing', method: 'GET', path: '/api/v2/things/x', idempotent: true } as const;

  it('answers undefined for a 404 and passes any other failure on', async () => {
    expect(await getOrUndefined(answering(), req)).toEqual({ ok: true });
    expect(await getOrUndefined(answering(new ApiError('GetThing', 404, 16, 'does not exist')), req)).toBeUndefined();
    await expect(getOrUndefined(answering(new ApiError('GetThing', 500, -1, 'boom')), req)).rejects.toThrow('boom');
  });
});
