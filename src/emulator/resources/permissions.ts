import { z } from 'zod';
import { inputError, notAllowed, orNotFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route, type RequestContext } from '../router.js';
import type { AppState, Rec } from '../store.js';
import { parseInput } from '../validate.js';
import { builtinPermissions } from './app-defaults.js';

declare module '../store.js' {
  interface AppState {
    permissions: Map<string, Rec>;
  }
}

const permissionFields = {
  name: z.string().min(1).max(100),
  action: z.string().min(1),
  condition: z.record(z.string(), z.unknown()),
  description: z.string().max(2048).optional(),
  owner: z.boolean().optional(),
  same_team: z.boolean().optional(),
};
const createSchema = z.object({ id: z.string().min(1).max(255), ...permissionFields });
const updateSchema = z.object(permissionFields);

/**
 * The read model of a custom permission. Stream does not take `level` on writes; it follows from the action,
 * so a custom permission gets the level of the built-in permission with the same action (`channel` otherwise).
 */
function customPermission(app: AppState, id: string, input: z.infer<typeof updateSchema>): Rec {
  const sameAction = [...app.permissions.values()].find((p) => !p.custom && p.action === input.action);
  return {
    id,
    name: input.name,
    description: input.description ?? '',
    action: input.action,
    owner: input.owner ?? false,
    owner_resource: '',
    same_team: input.same_team ?? false,
    custom: true,
    level: sameAction?.level ?? 'channel',
    tags: [],
    condition: input.condition,
  };
}

const permissionByPath = ({ app, params }: RequestContext) => orNotFound(app.permissions.get(params.id!), `permission "${params.id}" does not exist`);

/** The custom permission a path names: unknown → 404/16, built-in → 403/17. */
function customByPath(ctx: RequestContext): Rec {
  const p = permissionByPath(ctx);
  if (!p.custom) throw notAllowed(`permission "${ctx.params.id}" is a built-in permission and cannot be changed`);
  return p;
}

const listPermissions = route('GET', '/api/v2/permissions', 'ListPermissions', ({ app }) => ({ permissions: [...app.permissions.values()] }));

const createPermission = route('POST', '/api/v2/permissions', 'CreatePermission', ({ app, body }) => {
  const input = parseInput(createSchema, body);
  if (app.permissions.has(input.id)) throw inputError(`permission "${input.id}" already exists`, { id: 'permission already exists' });
  app.permissions.set(input.id, customPermission(app, input.id, input));
  return {};
});

const getPermission = route('GET', '/api/v2/permissions/{id}', 'GetPermission', (ctx) => ({ permission: permissionByPath(ctx) }));

const updatePermission = route('PUT', '/api/v2/permissions/{id}', 'UpdatePermission', (ctx) => {
  const current = customByPath(ctx);
  const input = parseInput(updateSchema, ctx.body);
  ctx.app.permissions.set(current.id, customPermission(ctx.app, current.id, input));
  return {};
});

const deletePermission = route('DELETE', '/api/v2/permissions/{id}', 'DeletePermission', (ctx) => {
  const { id } = customByPath(ctx);
  const { app } = ctx;
  app.permissions.delete(id);
  const grants = app.settings.grants as Record<string, string[]>;
  for (const [role, ids] of Object.entries(grants)) grants[role] = ids.filter((g) => g !== id);
  return {};
});

export const permissions: Resource = {
  name: 'permissions',
  state: { permissions: mapSlice() },
  seed: (app) => {
    for (const p of builtinPermissions()) app.permissions.set(String(p.id), p);
  },
  routes: [listPermissions, createPermission, getPermission, updatePermission, deletePermission],
};
