import type { Route } from '../router.js';

export const pushPreferencesRoutes: Route[] = [];
