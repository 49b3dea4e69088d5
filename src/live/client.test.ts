import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { createApiClient } from './client.js';

const SECRET = 'unit-test-secret-7f3a9c';

describe('createApiClient', () => {
  it('refuses unusable settings with a UsageError that does not echo the secret', () => {
    const base = { baseUrl: 'https://chat.stream-io-api.com', apiKey: 'k', apiSecret: SECRET };
    expect(() => createApiClient({ ...base, baseUrl: 'not a url' })).toThrow(UsageError);
    expect(() => createApiClient({ ...base, baseUrl: 'ftp://x' })).toThrow(UsageError);
    expect(() => createApiClient({ ...base, apiKey: '' })).toThrow(/API key is missing/);
    expect(() => createApiClient({ ...base, apiSecret: '' })).toThrow(/API secret is missing/);
    expect(() => createApiClient({ ...base, concurrency: 0 })).toThrow(/concurrency/);
  });

  it('keeps the secret out of the client object', async () => {
    const client = createApiClient({ baseUrl: 'https://chat.stream-io-api.com', apiKey: 'k', apiSecret: SECRET });
    try {
      const own = Object.values(client).map((v) => (typeof v === 'object' ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)) ?? '' : String(v)));
      expect(own.join(' ')).not.toContain(SECRET);
    } finally {
      await client.close();
    }
  });
});
