import type { Route } from '../router.js';
import type { AppState } from '../store.js';

export function seedRoles(app: AppState, nowMs: number): void {
  const at = new Date(nowMs).toISOString();
  for (const name of ['admin', 'anonymous', 'channel_member', 'channel_moderator', 'guest', 'user']) {
    app.roles.set(name, { name, custom: false, scopes: [], created_at: at, updated_at: at });
  }
}

export const rolesRoutes: Route[] = [];
