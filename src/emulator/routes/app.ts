import type { Route } from '../router.js';
import type { AppState } from '../store.js';

export function seedAppSettings(app: AppState, name: string, _nowMs: number): void {
  app.settings = { name };
}

export const appRoutes: Route[] = [];
