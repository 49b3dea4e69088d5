import type { Route } from '../router.js';

export const uploadsRoutes: Route[] = [];
