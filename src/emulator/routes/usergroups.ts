import type { Route } from '../router.js';

export const usergroupsRoutes: Route[] = [];
