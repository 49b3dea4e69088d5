import { describe, expect, it } from 'vitest';
import { tally } from './emulator-client.js';

describe('tally: what the emulator answered, counted', () => {
  it('counts every request that is not a GET as a write, except the queries sent as POST', () => {
    const t = tally({
      'GET ListRoles': { 200: 1 },
      'POST query_moderation_configs': { 201: 1 },
      'POST query_moderation_rules': { 201: 1 },
      'POST upsert_config': { 201: 2, 429: 1 },
    });
    expect(t).toMatchObject({ requests: 6, writes: 3, rateLimited: 1, rateLimitedByOp: { upsert_config: 1 } });
  });
});
