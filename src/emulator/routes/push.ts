import type { Route } from '../router.js';

export const pushRoutes: Route[] = [];
