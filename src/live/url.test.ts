import { describe, expect, it } from 'vitest';
import { fillPath, queryString } from './url.js';

describe('fillPath', () => {
  it('encodes each path parameter as one segment', () => {
    expect(fillPath({ op: 'GetBlockList', path: '/api/v2/blocklists/{name}', params: { name: 'a b/ç?#%' } })).toBe('/api/v2/blocklists/a%20b%2F%C3%A7%3F%23%25');
    expect(fillPath({ op: 'DeletePushProvider', path: '/api/v2/push_providers/{type}/{name}', params: { type: 'apn', name: 'prod' } })).toBe(
      '/api/v2/push_providers/apn/prod',
    );
  });

  it('encodes dot-only segments, which would otherwise be resolved as . or ..', () => {
    expect(fillPath({ op: 'GetRole', path: '/api/v2/roles/{name}', params: { name: '..' } })).toBe('/api/v2/roles/%2E%2E');
  });

  it('refuses a template whose parameter is missing', () => {
    expect(() => fillPath({ op: 'GetRole', path: '/api/v2/roles/{name}', params: {} })).toThrow(/GetRole: path parameter "name" is missing/);
  });
});

describe('queryString', () => {
  it('puts api_key first, JSON-encodes objects, joins scalar arrays and skips undefined', () => {
    const q = new URLSearchParams(queryString('key1', { payload: { filter_conditions: { id: { $gt: 'a b' } }, limit: 100 }, ids: ['a', 'b'], n: 3, x: undefined }));
    expect([...q.keys()]).toEqual(['api_key', 'payload', 'ids', 'n']);
    expect(q.get('api_key')).toBe('key1');
    expect(JSON.parse(q.get('payload')!)).toEqual({ filter_conditions: { id: { $gt: 'a b' } }, limit: 100 });
    expect(q.get('ids')).toBe('a,b');
    expect(q.get('n')).toBe('3');
  });
});
