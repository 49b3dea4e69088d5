import { errors as joseErrors, jwtVerify } from 'jose';
import { StreamApiError } from './errors.js';
import type { AppState } from './store.js';

const authError = (code: number, detail: string) => new StreamApiError(401, code, detail, undefined, true);

export interface AuthHeaders {
  authorization: string | undefined;
  authType: string | undefined;
}

/**
 * Server-side auth as Stream does it: `stream-auth-type: jwt`, and `Authorization` carrying an HS256 JWT
 * (raw or after `Bearer `) signed with the app's secret. A token with a `user_id` claim is a user token,
 * which the server-side endpoints refuse (403/17).
 */
export async function authenticate(app: AppState, h: AuthHeaders, nowMs: number): Promise<void> {
  if (!h.authType) throw authError(5, 'Stream-Auth-Type header is missing: set it to "jwt"');
  if (h.authType.toLowerCase() !== 'jwt') {
    throw new StreamApiError(403, 17, `stream-auth-type "${h.authType}" is not allowed for server-side requests`);
  }
  const raw = h.authorization?.replace(/^Bearer\s+/i, '').trim();
  if (!raw) throw authError(5, 'JWTAuth error: the Authorization header is missing or empty');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(raw, new TextEncoder().encode(app.secret), {
      algorithms: ['HS256'],
      currentDate: new Date(nowMs),
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw authError(40, 'JWTAuth error: token has expired');
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf') {
      throw authError(41, 'JWTAuth error: token is not valid yet (nbf)');
    }
    if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JOSEAlgNotAllowed) {
      throw authError(43, `JWTAuth error: signature is not valid. Make sure the token is created using the secret for API key "${app.key}"`);
    }
    throw authError(5, 'JWTAuth error: the token is malformed');
  }
  if (typeof payload.iat === 'number' && payload.iat * 1000 > nowMs + 5_000) {
    throw authError(41, 'JWTAuth error: token used before issue at (iat)');
  }
  if (payload.user_id !== undefined && payload.server !== true) {
    throw new StreamApiError(403, 17, 'this endpoint requires a server-side token; user tokens are not allowed');
  }
}
