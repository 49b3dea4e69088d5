import type { Route } from '../router.js';

export const ogRoutes: Route[] = [];
