import { expect } from 'vitest';
import type { ContractCases, ContractEnv } from './types.js';

const APP = '/api/v2/app';
const ROLES = '/api/v2/roles';
const PERMISSIONS = '/api/v2/permissions';
const permissionPath = (id: string) => `${PERMISSIONS}/${encodeURIComponent(id)}`;

async function createPermission({ api }: ContractEnv, id: string): Promise<void> {
  const res = await api.call({ method: 'POST', path: PERMISSIONS, body: { id, name: `Contract ${id}`, action: 'CreateMessage', condition: {} } });
  expect(res.status).toBe(201);
}

export const cases: ContractCases = {
  async GetApp({ api }) {
    expect((await api.call({ method: 'GET', path: APP })).status).toBe(200);
    expect((await api.call({ method: 'GET', path: APP, apiKey: 'no-such-key' })).status).toBe(401);
  },

  async UpdateApp({ api }) {
    const ok = await api.call({ method: 'PATCH', path: APP, body: { webhook_url: 'https://example.com/hook', reminders_interval: 120 } });
    expect(ok.status).toBe(200);
    const bad = await api.call({ method: 'PATCH', path: APP, body: { cdn_expiration_seconds: 10 } }, { skipRequestValidation: true });
    expect(bad.status).toBe(400);
  },

  async ListRoles({ api, emu }) {
    expect((await api.call({ method: 'GET', path: ROLES })).status).toBe(200);
    expect((await api.call({ method: 'GET', path: ROLES, secret: `${emu.apiSecret}-wrong` })).status).toBe(401);
  },

  async CreateRole({ api }) {
    expect((await api.call({ method: 'POST', path: ROLES, body: { name: 'contract_create' } })).status).toBe(201);
    expect((await api.call({ method: 'POST', path: ROLES, body: { name: 'contract_create' } })).status).toBe(400);
  },

  async DeleteRole({ api }) {
    await api.call({ method: 'POST', path: ROLES, body: { name: 'contract_delete' } });
    expect((await api.call({ method: 'DELETE', path: `${ROLES}/contract_delete` })).status).toBe(200);
    expect((await api.call({ method: 'DELETE', path: `${ROLES}/admin` })).status).toBe(403);
  },

  async SearchRoles({ api }) {
    expect((await api.call({ method: 'GET', path: `${ROLES}/search`, query: { query: 'chan', limit: 5 } })).status).toBe(200);
    expect((await api.call({ method: 'GET', path: `${ROLES}/search` })).status).toBe(400);
  },

  async ListPermissions({ api }) {
    expect((await api.call({ method: 'GET', path: PERMISSIONS })).status).toBe(200);
    expect((await api.call({ method: 'GET', path: PERMISSIONS, authType: null })).status).toBe(401);
  },

  async GetPermission({ api }) {
    expect((await api.call({ method: 'GET', path: permissionPath('read-channel') })).status).toBe(200);
    expect((await api.call({ method: 'GET', path: permissionPath('no-such-permission') })).status).toBe(404);
  },

  async CreatePermission(env) {
    await createPermission(env, 'contract-create');
    const missing = await env.api.call({ method: 'POST', path: PERMISSIONS, body: { id: 'contract-bad', name: 'Bad' } }, { skipRequestValidation: true });
    expect(missing.status).toBe(400);
  },

  async UpdatePermission(env) {
    await createPermission(env, 'contract-update');
    const body = { name: 'Renamed', action: 'UpdateMessage', condition: {} };
    expect((await env.api.call({ method: 'PUT', path: permissionPath('contract-update'), body })).status).toBe(201);
    expect((await env.api.call({ method: 'PUT', path: permissionPath('read-channel'), body })).status).toBe(403);
  },

  async DeletePermission(env) {
    await createPermission(env, 'contract-delete');
    expect((await env.api.call({ method: 'DELETE', path: permissionPath('contract-delete') })).status).toBe(200);
    expect((await env.api.call({ method: 'DELETE', path: permissionPath('contract-delete') })).status).toBe(404);
  },

  async GetRateLimits({ api }) {
    expect((await api.call({ method: 'GET', path: '/api/v2/rate_limits', query: { server_side: true, endpoints: 'GetApp' } })).status).toBe(200);
    expect((await api.call({ method: 'GET', path: '/api/v2/rate_limits', query: { web: 'maybe' } })).status).toBe(400);
  },
};
