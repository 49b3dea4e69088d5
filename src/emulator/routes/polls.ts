import type { Route } from '../router.js';

export const pollsRoutes: Route[] = [];
