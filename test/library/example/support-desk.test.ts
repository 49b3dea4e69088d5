import { StreamClient } from '@stream-io/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from 'stream-sync/emulator';
import { provisionSupportDesk } from './support-desk.js';

describe('provisionSupportDesk', () => {
  let emulator: Emulator;
  let client: StreamClient;

  beforeAll(async () => {
    emulator = await startEmulator(); // a new app on a free port; Stream's published rate limits
    client = new StreamClient(emulator.apiKey, emulator.apiSecret, { basePath: emulator.url });
  });
  afterAll(() => emulator.close());

  it('creates the role, the block list and the agents', async () => {
    await provisionSupportDesk(client, 'acme', ['ann', 'bo']);

    const { users } = await client.queryUsers({ payload: { filter_conditions: { id: { $in: ['ann', 'bo'] } }, sort: [{ field: 'id', direction: 1 }] } });
    expect(users.map((u) => [u.id, u.role])).toEqual([
      ['ann', 'acme-agent'],
      ['bo', 'acme-agent'],
    ]);
    const { blocklist } = await client.getBlockList({ name: 'acme-banned' });
    expect(blocklist?.words).toEqual(['scam']);
  });

  it('creates nothing twice when it runs again (read from the request log)', async () => {
    emulator.clearRequests();
    await provisionSupportDesk(client, 'acme', ['ann', 'bo']);
    expect(emulator.requests({ op: ['CreateRole', 'CreateBlockList'] })).toEqual([]);
  });

  it('keeps what an earlier tenant seeded', async () => {
    await emulator.seed({ roles: ['globex-agent'], users: [{ id: 'cy', role: 'globex-agent' }] });
    await provisionSupportDesk(client, 'globex', ['cy']);
    expect(emulator.requests({ op: 'CreateRole', status: 201 })).toEqual([]);
  });

  it('fails loudly when Stream is down, having created nothing half-way', async () => {
    emulator.injectFaults([{ kind: 'error', status: 503, op: 'CreateRole' }]);
    emulator.clearRequests();
    try {
      await expect(provisionSupportDesk(client, 'initech', ['dee'])).rejects.toThrow();
      expect(emulator.requests().map((r) => `${r.op} ${r.status}`)).toEqual(['ListRoles 200', 'CreateRole 503']);
      expect(emulator.faultHits()).toEqual([1]);
    } finally {
      emulator.clearFaults();
    }
  });
});
