import type { Route } from '../router.js';

export const usersRoutes: Route[] = [];
