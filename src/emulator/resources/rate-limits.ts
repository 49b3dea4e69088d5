import { inputError } from '../errors.js';
import type { Resource } from '../resource.js';
import { route } from '../router.js';
import type { Rec } from '../store.js';

/** A boolean query flag as Stream parses it (`true`/`false`, `1`/`0`, `t`/`f`, any case): absent → undefined. */
export function queryBool(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const v = raw.toLowerCase();
  if (v === 'true' || v === '1' || v === 't') return true;
  if (v === 'false' || v === '0' || v === 'f') return false;
  throw inputError(`${name} must be a boolean`, { [name]: `${name} must be a boolean` });
}

const PLATFORMS = ['server_side', 'android', 'ios', 'web', 'unity'] as const;

/**
 * An operationId as Stream's specs spell them (`QueryChannels`, also `get_action_config`). GetRateLimits answers
 * any such name, served here or not, so a client can ask about every endpoint of Stream's server-side API.
 */
const OPERATION_ID = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

/**
 * Limits per platform and endpoint. Only server-side traffic reaches the emulator (user tokens are refused),
 * so the client platforms report the same limits with nothing used. Without `endpoints`, the served operations;
 * with it, every operation-id-shaped name listed: one the emulator does not serve gets its published limit, else
 * the documented default for unlisted endpoints (`DEFAULT_RATE_LIMIT`), with nothing used.
 */
const getRateLimits = route('GET', '/api/v2/rate_limits', 'GetRateLimits', ({ app, query, now, rateLimiter, operations }) => {
  const flags = PLATFORMS.map((p) => [p, queryBool(query, p)] as const);
  const asked = flags.filter(([, on]) => on).map(([p]) => p);
  const platforms = asked.length ? asked : PLATFORMS;
  const wanted = query.get('endpoints')?.split(',').map((e) => e.trim()).filter(Boolean);
  const ops = wanted?.length ? [...new Set(wanted.filter((op) => OPERATION_ID.test(op)))] : operations;
  const body: Rec = {};
  for (const platform of platforms) {
    const limits: Rec = {};
    for (const op of ops) {
      const seen = rateLimiter.peek(app.key, op, now);
      limits[op] = platform === 'server_side' ? seen : { ...seen, remaining: seen.limit };
    }
    body[platform] = limits;
  }
  return body;
});

export const rateLimits: Resource = {
  name: 'rate limits',
  routes: [getRateLimits],
};
