import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { type ApiClient, createApiClient } from '../../src/live/client.js';
import { DEFAULT_RATE_LIMIT, type Pacer, PUBLISHED_RATE_LIMITS } from '../../src/live/pacer.js';

/** The limit the client's pacer assumes for `op` (private state, read for the test only). */
const limitOf = (client: ApiClient, op: string) => (client as unknown as { pacer: Pacer }).pacer.limitOf(op);

describe('GetRateLimits seeds the client\'s pacing', () => {
  const open: { emu: RunningEmulator; client: ApiClient }[] = [];
  async function setup(rateLimits: NonNullable<Parameters<typeof startEmulator>[0]>['rateLimits']) {
    const emu = await startEmulator({ port: 0, rateLimits });
    const client = createApiClient({ baseUrl: emu.url, apiKey: emu.apiKey, apiSecret: emu.apiSecret, minBackoffMs: 5, maxBackoffMs: 50 });
    open.push({ emu, client });
    return { emu, client };
  }
  afterEach(async () => {
    for (const { emu, client } of open.splice(0)) {
      await client.close();
      await emu.close();
    }
  });

  it('takes the app\'s own per-endpoint limits, in one request, before any other answer is seen', async () => {
    const { emu, client } = await setup({ perMinute: { UpdateApp: 600, CreateBlockList: 90 }, defaultPerMinute: 3_000 });
    expect(limitOf(client, 'UpdateApp')).toBe(PUBLISHED_RATE_LIMITS.UpdateApp);
    expect(limitOf(client, 'CreateBlockList')).toBe(DEFAULT_RATE_LIMIT);
    await expect(client.seedFromApi()).resolves.toBe(true);
    expect(limitOf(client, 'UpdateApp')).toBe(600);
    expect(limitOf(client, 'CreateBlockList')).toBe(90);
    expect(limitOf(client, 'ListRoles')).toBe(3_000);
    expect(emu.requests.map((r) => [r.op, r.status])).toEqual([['GetRateLimits', 200]]);
  });

  it('keeps the published defaults when GetRateLimits fails, after a single attempt, without throwing', async () => {
    const { emu, client } = await setup('published');
    emu.faults.configure({ rules: [{ op: 'GetRateLimits', kind: 'non_json', status: 502 }] });
    await expect(client.seedFromApi()).resolves.toBe(false);
    expect(limitOf(client, 'UpdateApp')).toBe(PUBLISHED_RATE_LIMITS.UpdateApp);
    expect(emu.requests.filter((r) => r.op === 'GetRateLimits')).toHaveLength(1);
  });

  it('ignores what is not a limit (a hostile or odd answer cannot set a zero or negative pace)', async () => {
    const { client } = await setup('published');
    const api = client as unknown as { send: (req: unknown) => Promise<unknown> };
    api.send = async () => ({ server_side: { UpdateApp: { limit: 0, remaining: 'x' }, CheckPush: null, QueryUsers: { limit: -5 } } });
    await expect(client.seedFromApi()).resolves.toBe(true);
    expect(limitOf(client, 'UpdateApp')).toBe(PUBLISHED_RATE_LIMITS.UpdateApp);
    expect(limitOf(client, 'QueryUsers')).toBe(PUBLISHED_RATE_LIMITS.QueryUsers);
  });
});
