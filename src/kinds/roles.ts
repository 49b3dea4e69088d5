import { z } from 'zod';
import type { Rec } from '../core/model.js';
import { addressPart, defineKind, liveObject } from './define.js';

/** Roles every app has (`custom: false`): never created, deleted or shown as drift. */
export const BUILTIN_ROLES = ['admin', 'anonymous', 'channel_member', 'channel_moderator', 'guest', 'user'] as const;

export const roleSchema = z
  .object({ name: addressPart('a role name', 64).describe('Identity: the custom role\'s name (`role/<name>`); created and deleted, never renamed; built-in roles are never created or deleted.') })
  .strict();

/** Custom roles: a name and nothing else, so they are created and deleted, never updated. */
export const roleKind = defineKind({
  kind: 'role',
  section: 'roles',
  schema: z.array(roleSchema),
  // Grants and users that name a role are moved off it before it is deleted.
  releasedBy: ['app', 'user'],
  identityFields: ['name'],
  isBuiltin: (live) => live.builtin === true,
  builtins: BUILTIN_ROLES.map((r) => `role/${r}`),
  quota: { max: 25, what: 'custom roles' },
  async fetch(api) {
    const res = await api.send<{ roles: Rec[] }>({ op: 'ListRoles', method: 'GET', path: '/api/v2/roles', idempotent: true });
    return res.roles.map((r) => liveObject('role', `role/${String(r.name)}`, { name: r.name }, r.custom === false));
  },
  requests({ action, desired, live }) {
    const name = String((desired ?? live)!.fields.name);
    if (action === 'delete') return [{ op: 'DeleteRole', method: 'DELETE', path: '/api/v2/roles/{name}', params: { name }, idempotent: true }];
    if (action === 'create') return [{ op: 'CreateRole', method: 'POST', path: '/api/v2/roles', body: { name }, idempotent: false }];
    return [];
  },
  async reread(api, desired) {
    const res = await api.send<{ roles: Rec[] }>({ op: 'ListRoles', method: 'GET', path: '/api/v2/roles', idempotent: true });
    const found = res.roles.find((r) => r.name === desired.fields.name);
    return found ? liveObject('role', desired.address, { name: found.name }) : undefined;
  },
  toFile: (live) => live.fields,
});
