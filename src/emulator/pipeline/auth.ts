import { authenticate } from '../auth.js';
import { StreamApiError } from '../errors.js';
import { type Exchange, header, knownApp } from './exchange.js';

export function requireKnownApp(x: Exchange): void {
  if (!x.app) throw new StreamApiError(401, 2, x.apiKey ? `api_key "${x.apiKey}" not found` : 'api_key is missing from the query string', undefined, true);
}

/** The request's time is read here: authentication, the rate budget and the handler all see the same instant. */
export async function authenticateRequest(x: Exchange): Promise<void> {
  x.now = x.env.now();
  await authenticate(knownApp(x), { authorization: header(x.req, 'authorization'), authType: header(x.req, 'stream-auth-type') }, x.now);
}
