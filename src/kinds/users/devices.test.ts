import { describe, expect, it } from 'vitest';
import { expectValidRequests, plannedRequests } from '../../../test/support/kinds.js';
import type { DesiredObject, Rec } from '../../core/model.js';
import { deviceKind, deviceLive } from './devices.js';
import type { Api, ApiRequest } from '../../core/api.js';
import { withDeclaredLists } from './satellites.js';

const desired = (kind: string, address: string, fields: Rec): DesiredObject => ({ kind, address, fields, sensitive: [] });
const device = (fields: Rec) => desired('device', `device/${String(fields.user_id)}/${String(fields.id)}`, fields);

/** A ListDevices item as the API answers it (DeviceResponse). */
const LIVE: Rec = { id: 'tok-1', user_id: 'bot', push_provider: 'firebase', push_provider_name: 'acme-fcm', voip: false, created_at: '2026-01-01T00:00:00.000Z', disabled: false };

const requestsFor = (fields: Rec, live?: Rec) => plannedRequests(deviceKind, deviceLive, fields, live);


describe('device normalization', () => {
  it('reads `voip` back as `voip_token` and leaves server-owned fields out', () => {
    expect(deviceLive(LIVE).fields).toEqual({ user_id: 'bot', id: 'tok-1', push_provider: 'firebase', push_provider_name: 'acme-fcm', voip_token: false });
    expect(deviceLive({ id: 'v', user_id: 'u', push_provider: 'apn', voip: true, hardware_id: 'hw-1', push_provider_name: '' }).fields).toEqual({ user_id: 'u', id: 'v', push_provider: 'apn', voip_token: true, hardware_id: 'hw-1' });
    expect(deviceLive(LIVE).address).toBe('device/bot/tok-1');
  });
});

describe('device requests', () => {
  it('creates with CreateDevice, for the enclosing user', () => {
    const reqs = requestsFor({ user_id: 'bot', id: 'tok-2', push_provider: 'apn', voip_token: true });
    expect(reqs).toEqual([{ op: 'CreateDevice', method: 'POST', path: '/api/v2/devices', body: { id: 'tok-2', push_provider: 'apn', voip_token: true, user_id: 'bot' }, idempotent: true }]);
    expectValidRequests(reqs);
  });

  it('plans nothing when the declared fields match (voip_token against voip)', () => {
    expect(requestsFor({ user_id: 'bot', id: 'tok-1', push_provider: 'firebase', voip_token: false }, LIVE)).toEqual([]);
  });

  it('re-registers a changed device whole, keeping the live values of undeclared fields', () => {
    const reqs = requestsFor({ user_id: 'bot', id: 'tok-1', push_provider: 'firebase', voip_token: true }, LIVE);
    expect(reqs).toEqual([
      { op: 'CreateDevice', method: 'POST', path: '/api/v2/devices', body: { id: 'tok-1', push_provider: 'firebase', push_provider_name: 'acme-fcm', voip_token: true, user_id: 'bot' }, idempotent: true },
    ]);
    expectValidRequests(reqs);
  });

  it('deletes with DeleteDevice by id and user', () => {
    const live = deviceLive(LIVE);
    expect(deviceKind.requests({ action: 'delete', address: live.address, live, fields: [] })).toEqual([
      { op: 'DeleteDevice', method: 'DELETE', path: '/api/v2/devices', query: { id: 'tok-1', user_id: 'bot' }, idempotent: true },
    ]);
  });

  it('refers to its user and, when named, its push provider', () => {
    expect(deviceKind.refs!({ user_id: 'bot', id: 't', push_provider: 'firebase', push_provider_name: 'acme-fcm' })).toEqual(['user/bot', 'push_provider/firebase/acme-fcm']);
    expect(deviceKind.refs!({ user_id: 'bot', id: 't', push_provider: 'apn' })).toEqual(['user/bot']);
  });
});

describe('device fetch', () => {
  /** An API with users `bot`, `plain` and `idle` (each with one device); other users do not exist. */
  function fakeApi() {
    const sent: ApiRequest[] = [];
    const api: Api = {
      send: async <T>(req: ApiRequest) => {
        sent.push(req);
        if (req.op === 'QueryUsers') {
          const ids = ((req.query!.payload as Rec).filter_conditions as { id: { $in: string[] } }).id.$in;
          return { users: ids.filter((id) => ['bot', 'plain', 'idle'].includes(id)).map((id) => ({ id })) } as T;
        }
        const user_id = String(req.query!.user_id);
        return { devices: [{ id: `${user_id}-tok`, user_id, push_provider: 'apn', created_at: '2026-01-01T00:00:00.000Z' }] } as T;
      },
    };
    return { api, sent };
  }
  const user = (id: string, lists: ('devices' | 'blocked_users')[]) => desired('user', `user/${id}`, withDeclaredLists({ id }, lists));
  const all = [user('bot', ['devices']), user('plain', ['devices']), user('idle', []), user('new', ['devices'])];
  const declared = [device({ user_id: 'bot', id: 'bot-tok', push_provider: 'apn' }), device({ user_id: 'new', id: 'new-tok', push_provider: 'apn' })];

  it('without pruning, reads only the existing users that declare devices', async () => {
    const { api, sent } = fakeApi();
    const live = await deviceKind.fetch(api, declared, { complete: false, all: [...all, ...declared] });
    expect(sent.filter((r) => r.op === 'ListDevices').map((r) => r.query)).toEqual([{ user_id: 'bot' }]);
    expect(live.map((l) => l.address)).toEqual(['device/bot/bot-tok']);
  });

  it('with pruning, also reads users that declare `devices: []`, never users without the key', async () => {
    const { api, sent } = fakeApi();
    const live = await deviceKind.fetch(api, declared, { complete: true, all: [...all, ...declared] });
    expect(sent.filter((r) => r.op === 'ListDevices').map((r) => r.query)).toEqual([{ user_id: 'bot' }, { user_id: 'plain' }]);
    expect(live.map((l) => l.address)).toEqual(['device/bot/bot-tok', 'device/plain/plain-tok']);
  });

  it('sends no request when no user declares devices', async () => {
    const { api, sent } = fakeApi();
    expect(await deviceKind.fetch(api, [], { complete: true, all: [user('idle', [])] })).toEqual([]);
    expect(sent).toEqual([]);
  });
});
