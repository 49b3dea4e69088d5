import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { type ApiClient, createApiClient } from '../../src/live/client.js';
import type { Pacer } from '../../src/live/pacer.js';

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
    // No table: a limit is what the app says it is.
    expect(limitOf(client, 'UpdateApp')).toBeUndefined();
    expect(limitOf(client, 'CreateBlockList')).toBeUndefined();
    await expect(client.seedFromApi()).resolves.toBe(true);
    expect(limitOf(client, 'UpdateApp')).toBe(600);
    expect(limitOf(client, 'CreateBlockList')).toBe(90);
    expect(limitOf(client, 'ListRoles')).toBe(3_000);
    expect(emu.requests.map((r) => [r.op, r.status])).toEqual([['GetRateLimits', 200]]);
  });

  it('when GetRateLimits fails (after a single attempt, without throwing), learns each limit from its first answer, sending one request at a time until then', async () => {
    const { emu, client } = await setup({ perMinute: { ListRoles: 240 } });
    emu.faults.configure({ rules: [{ op: 'GetRateLimits', kind: 'non_json', status: 502 }] });
    await expect(client.seedFromApi()).resolves.toBe(false);
    expect(limitOf(client, 'ListRoles')).toBeUndefined();
    expect(emu.requests.filter((r) => r.op === 'GetRateLimits')).toHaveLength(1);
    emu.faults.configure({ rules: [{ op: 'ListRoles', kind: 'latency', ms: 30 }] });
    await Promise.all(Array.from({ length: 3 }, () => client.send({ op: 'ListRoles', method: 'GET', path: '/api/v2/roles', idempotent: true })));
    expect(limitOf(client, 'ListRoles')).toBe(240);
    // The probe went alone; the two after it went together once its answer said the limit (240/min: 4 a second at the
    // default share of 50 %).
    const times = emu.requests.filter((r) => r.op === 'ListRoles').map((r) => r.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(25);
    expect(Math.abs(times[2]! - times[1]!)).toBeLessThan(25);
  });

  it('ignores what is not a limit (a hostile or odd answer cannot set a zero or negative pace)', async () => {
    const { client } = await setup('published');
    const api = client as unknown as { send: (req: unknown) => Promise<unknown> };
    api.send = async () => ({ server_side: { UpdateApp: { limit: 0, remaining: 'x' }, CheckPush: null, QueryUsers: { limit: -5 } } });
    await expect(client.seedFromApi()).resolves.toBe(true);
    expect(limitOf(client, 'UpdateApp')).toBeUndefined();
    expect(limitOf(client, 'QueryUsers')).toBeUndefined();
  });
});
