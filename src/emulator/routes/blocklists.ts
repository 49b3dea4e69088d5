import type { Route } from '../router.js';
import type { AppState } from '../store.js';

export function seedBlocklists(_app: AppState, _nowMs: number): void {}

export const blocklistsRoutes: Route[] = [];
