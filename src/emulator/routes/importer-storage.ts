import type { Route } from '../router.js';

export const importerStorageRoutes: Route[] = [];
