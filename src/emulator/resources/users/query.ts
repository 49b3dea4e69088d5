/** QueryUsers: `payload` (JSON in the query string) filtered, sorted and paged over the users slice. */
import { z } from 'zod';
import { inputError } from '../../errors.js';
import { checkJsonInput } from '../../paths.js';
import type { Resource } from '../../resource.js';
import { route } from '../../router.js';
import { parseInput, queryRequired } from '../../validate.js';
import { fullUserView } from './model.js';
import { compileUserFilter, filterMentions, sortUsers } from './query-filter.js';

const queryPayload = (maxLimit: number, maxOffset: number) =>
  z.object({
    filter_conditions: z.record(z.string(), z.unknown()),
    sort: z
      .array(z.object({ field: z.string().min(1), direction: z.literal([1, -1]).optional(), type: z.string().optional() }))
      .max(5)
      .nullish(),
    limit: z.number().int().min(0).max(maxLimit).nullish(),
    offset: z.number().int().min(0).max(maxOffset).nullish(),
    include_deactivated_users: z.boolean().nullish(),
    presence: z.boolean().nullish(),
  });

const DEFAULT_QUERY_LIMIT = 30;

const queryUsers = route('GET', '/api/v2/users', 'QueryUsers', (ctx) => {
  const raw = queryRequired(ctx.query, 'payload');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw inputError('payload is not valid JSON', { payload: 'payload is not valid JSON' });
  }
  checkJsonInput(json, 'payload');
  const q = parseInput(queryPayload(ctx.quotas.queryUsersLimit, ctx.quotas.queryUsersOffset), json);
  const matches = compileUserFilter(q.filter_conditions);
  // Deleted users show up only when the filter asks about deletion; deactivated ones only when included.
  const withDeleted = filterMentions(q.filter_conditions, 'deleted_at');
  const candidates = [...ctx.app.users.values()].filter(
    (u) => (withDeleted || !u.deleted_at) && (q.include_deactivated_users || !u.deactivated_at) && matches(u),
  );
  const offset = q.offset ?? 0;
  const limit = q.limit || DEFAULT_QUERY_LIMIT;
  const page = sortUsers(candidates, q.sort ?? undefined).slice(offset, offset + limit);
  return { users: page.map((u) => fullUserView(ctx.app, u)) };
});

export const userQuery: Resource = {
  name: 'user query',
  routes: [queryUsers],
};
