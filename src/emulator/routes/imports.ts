import type { Route } from '../router.js';

export const importsRoutes: Route[] = [];
