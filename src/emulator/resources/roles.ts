import { z } from 'zod';
import { inputError, notAllowed, orNotFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route } from '../router.js';
import type { Rec } from '../store.js';
import { nowIso, parseInput, queryInt, queryRequired } from '../validate.js';
import { BUILTIN_ROLES } from './app-defaults.js';
import { queryBool } from './rate-limits.js';

declare module '../store.js' {
  interface AppState {
    roles: Map<string, Rec>;
  }
}

// Code-point order, the same order `name_gt` pages by.
const byName = (a: Rec, b: Rec) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const listRoles = route('GET', '/api/v2/roles', 'ListRoles', ({ app }) => ({ roles: [...app.roles.values()].sort(byName) }));

const createRole = route('POST', '/api/v2/roles', 'CreateRole', ({ app, body, now, quotas }) => {
  const { name } = parseInput(z.object({ name: z.string().min(1).max(quotas.roleNameLength) }), body);
  if (app.roles.has(name)) throw inputError(`role "${name}" already exists`, { name: 'role already exists' });
  const custom = [...app.roles.values()].filter((r) => r.custom).length;
  if (custom >= quotas.customRoles) {
    throw inputError(`the app already has ${custom} custom roles, the maximum is ${quotas.customRoles}`);
  }
  const at = nowIso(now);
  const role = { name, custom: true, scopes: [], created_at: at, updated_at: at };
  app.roles.set(name, role);
  return { role };
});

const deleteRole = route('DELETE', '/api/v2/roles/{name}', 'DeleteRole', ({ app, params }) => {
  const name = params.name!;
  const role = orNotFound(app.roles.get(name), `role "${name}" does not exist`);
  if (!role.custom) throw notAllowed(`role "${name}" is a built-in role and cannot be deleted`);
  const holders = [...app.users.values()].filter((u) => u.role === name).length;
  if (holders) throw inputError(`role "${name}" is still assigned to ${holders} user(s): change their role first`);
  app.roles.delete(name);
  delete app.settings.grants?.[name];
  return {};
});

/** Built-in channel_* roles are channel-member roles; other built-ins are user roles; custom roles can be both. */
const roleTypeOf = (role: Rec) => (role.custom ? ['user', 'channel'] : String(role.name).startsWith('channel_') ? ['channel'] : ['user']);

const searchRoles = route('GET', '/api/v2/roles/search', 'SearchRoles', ({ app, query }) => {
  const q = queryRequired(query, 'query');
  if (q.length > 255) throw inputError('query must be a maximum of 255 characters in length', { query: 'query must be a maximum of 255 characters in length' });
  const limit = queryInt(query, 'limit', { min: 1, max: 25 }) ?? 10;
  const nameGt = query.get('name_gt') ?? '';
  const roleType = query.get('role_type');
  if (roleType !== null && roleType !== 'user' && roleType !== 'channel') {
    throw inputError('role_type must be one of [user channel]', { role_type: 'role_type must be one of [user channel]' });
  }
  const includeGlobal = queryBool(query, 'include_global_roles') ?? false;
  const prefix = q.toLowerCase();
  const roles = [...app.roles.values()]
    .filter((r) => String(r.name).toLowerCase().startsWith(prefix))
    .filter((r) => includeGlobal || !String(r.name).startsWith('global_'))
    .filter((r) => !roleType || roleTypeOf(r).includes(roleType))
    .filter((r) => !nameGt || String(r.name) > nameGt)
    .sort(byName)
    .slice(0, limit);
  return { roles };
});

export const roles: Resource = {
  name: 'roles',
  state: { roles: mapSlice() },
  seed: (app, { now }) => {
    const at = nowIso(now);
    for (const name of BUILTIN_ROLES) app.roles.set(name, { name, custom: false, scopes: [], created_at: at, updated_at: at });
  },
  routes: [listRoles, createRole, searchRoles, deleteRole],
};
