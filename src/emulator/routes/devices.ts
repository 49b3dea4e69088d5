import type { Route } from '../router.js';

export const devicesRoutes: Route[] = [];
