import type { Route } from '../router.js';
import type { AppState } from '../store.js';

export function seedPermissions(_app: AppState, _nowMs: number): void {}

export const permissionsRoutes: Route[] = [];
