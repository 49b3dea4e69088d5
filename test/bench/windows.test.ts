import { describe, expect, it } from 'vitest';
import { backendIntervals, backendPerMinute } from './backend-process.js';
import { tally } from './emulator-client.js';
import { admitted, clientKind, countsOf, mergeWindows, tallyWindows, windowStarts } from './windows.js';

const MINUTE = 60_000;
const t0 = 1_800_000 * MINUTE; // a minute boundary
const rec = (at: number, client: string | undefined, op: string, status = 200, method = 'GET') => ({ at, client, op, status, method });

describe('tallyWindows: who used the app, per minute window', () => {
  it('tells stream-sync, the backend and anyone else apart by X-Stream-Client', () => {
    expect([clientKind('stream-sync-0.1.0'), clientKind('bench-backend'), clientKind('stream-node-v0.7'), clientKind(undefined)]).toEqual(['stream-sync', 'backend', 'other', 'other']);
  });

  it("counts each window's answered requests and 429s per client kind and endpoint, on the emulator's fixed windows", () => {
    const t = tallyWindows([
      rec(t0 + 10, 'stream-sync-0.1.0', 'GetUserGroup'),
      rec(t0 + 59_999, 'stream-sync-0.1.0', 'GetUserGroup', 429),
      rec(t0 + 60_000, 'stream-sync-0.1.0', 'GetUserGroup'),
      rec(t0 + 5, 'bench-backend', 'GetUserGroup'),
      rec(t0 + 6, 'bench-backend', 'CreateUserGroup', 201, 'POST'),
    ]);
    expect(windowStarts(t)).toEqual([t0, t0 + MINUTE]);
    expect(t[t0]).toEqual({
      'stream-sync': { 'GET GetUserGroup': { answered: 2, limited: 1 } },
      backend: { 'GET GetUserGroup': { answered: 1, limited: 0 }, 'POST CreateUserGroup': { answered: 1, limited: 0 } },
    });
    expect([admitted(t, t0, 'stream-sync', 'GetUserGroup'), admitted(t, t0 + MINUTE, 'stream-sync', 'GetUserGroup'), admitted(t, t0, 'backend', 'QueryUsers')]).toEqual([1, 1, 0]);
  });

  it('adds takes together, and gives one client kind back as Counts for tally (writes and 429s)', () => {
    const t = mergeWindows(tallyWindows([rec(t0, 'bench-backend', 'UpdateUsers', 201, 'POST')]), tallyWindows([rec(t0 + 1, 'bench-backend', 'UpdateUsers', 429, 'POST'), rec(t0 + 2, 'stream-sync-1', 'QueryUsers')]));
    expect(t[t0]!.backend).toEqual({ 'POST UpdateUsers': { answered: 2, limited: 1 } });
    expect(tally(countsOf(t, 'backend'))).toMatchObject({ requests: 2, writes: 2, rateLimited: 1 });
    expect(tally(countsOf(t, 'stream-sync'))).toMatchObject({ requests: 1, writes: 0, rateLimited: 0 });
  });
});

describe("the backend's schedule", () => {
  it('calls each endpoint at 40 % of its limit, evenly spaced; each create is followed by its delete', () => {
    const limits = { UpdateUsers: 300, QueryUsers: 1_000, GetUserGroup: 1_000, CreateUserGroup: 1_000, DeleteUserGroup: 1_000 };
    expect(backendIntervals(limits)).toEqual({ UpdateUsers: 500, QueryUsers: 150, GetUserGroup: 150, CreateUserGroup: 150 });
    expect(backendPerMinute(limits)).toEqual({ UpdateUsers: 120, QueryUsers: 400, GetUserGroup: 400, CreateUserGroup: 400, DeleteUserGroup: 400 });
  });
});
