import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { replayReads } from './floor.js';

/** The benchmark's CPU floor replays exactly the reads it is given (its CPU is measured by `npm run bench` only). */
describe('replayReads: the unchanged plan reads, replayed by a bare client', () => {
  let emu: RunningEmulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  const start = async () => {
    emu = await startEmulator({ port: 0, taskStepMs: 0, rateLimits: 'off', apps: [{ key: 'floor', secret: 'floor-secret-floor-secret', name: 'floor' }] });
    return emu;
  };

  it('sends each target as given, query included, and counts the answers', async () => {
    const e = await start();
    const targets = ['/api/v2/app?api_key=floor', '/api/v2/roles?api_key=floor', '/api/v2/usergroups?api_key=floor&limit=2'];
    const r = await replayReads({ baseUrl: e.url, secret: 'floor-secret-floor-secret', targets, concurrency: 1 });
    expect(r.requests).toBe(3);
    expect(r.bytes).toBeGreaterThan(0);
    expect(e.requests.map((q) => [q.method, q.op, q.path + q.query, q.status])).toEqual([
      ['GET', 'GetApp', '/api/v2/app?api_key=floor', 200],
      ['GET', 'ListRoles', '/api/v2/roles?api_key=floor', 200],
      ['GET', 'ListUserGroups', '/api/v2/usergroups?api_key=floor&limit=2', 200],
    ]);
  });

  it('fails on an answer that is not 200, so a refused read never lowers the floor', async () => {
    const e = await start();
    await expect(replayReads({ baseUrl: e.url, secret: 'floor-secret-floor-secret', targets: ['/api/v2/usergroups/missing?api_key=floor'], concurrency: 2 })).rejects.toThrow(/answered 404/);
    await expect(replayReads({ baseUrl: e.url, secret: 'not-the-secret-at-all-here', targets: ['/api/v2/app?api_key=floor'], concurrency: 2 })).rejects.toThrow(/answered 401/);
  });
});
