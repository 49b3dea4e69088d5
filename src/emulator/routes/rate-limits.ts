import type { Route } from '../router.js';

export const rateLimitsRoutes: Route[] = [];
