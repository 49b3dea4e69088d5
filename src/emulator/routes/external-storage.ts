import type { Route } from '../router.js';

export const externalStorageRoutes: Route[] = [];
