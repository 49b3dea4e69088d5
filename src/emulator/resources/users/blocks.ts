/** Blocks between users (key `${user_id}/${blocked_user_id}`); a user's `blocked_user_ids` is read from here. */
import { z } from 'zod';
import { inputError } from '../../errors.js';
import { mapSlice, type Resource } from '../../resource.js';
import { route, type RequestContext } from '../../router.js';
import { nowIso, parseInput, queryRequired } from '../../validate.js';
import { requireUser, serverSideUserId, userView } from './model.js';

declare module '../../store.js' {
  interface AppState {
    /** key `${user_id}/${blocked_user_id}` */
    blockedUsers: Map<string, Rec>;
  }
}

const blockRequest = z.object({ blocked_user_id: z.string().min(1), user_id: z.string().nullish(), user: z.object({ id: z.string() }).nullish() });

function blockParties(ctx: RequestContext): { userId: string; blockedId: string } {
  const req = parseInput(blockRequest, ctx.body);
  const userId = serverSideUserId(req);
  if (userId === req.blocked_user_id) throw inputError('a user cannot block themselves', { blocked_user_id: 'a user cannot block themselves' });
  requireUser(ctx.app, userId);
  requireUser(ctx.app, req.blocked_user_id, 'blocked_user_id');
  return { userId, blockedId: req.blocked_user_id };
}

const blockUsers = route('POST', '/api/v2/users/block', 'BlockUsers', (ctx) => {
  const { userId, blockedId } = blockParties(ctx);
  const key = `${userId}/${blockedId}`;
  let block = ctx.app.blockedUsers.get(key);
  if (!block) {
    block = { user_id: userId, blocked_user_id: blockedId, created_at: nowIso(ctx.now) };
    ctx.app.blockedUsers.set(key, block);
  }
  return { blocked_by_user_id: userId, blocked_user_id: blockedId, created_at: block.created_at };
});

const unblockUsers = route('POST', '/api/v2/users/unblock', 'UnblockUsers', (ctx) => {
  const { userId, blockedId } = blockParties(ctx);
  ctx.app.blockedUsers.delete(`${userId}/${blockedId}`);
  return {};
});

const getBlockedUsers = route('GET', '/api/v2/users/block', 'GetBlockedUsers', (ctx) => {
  const { app } = ctx;
  const user = requireUser(app, queryRequired(ctx.query, 'user_id'));
  const blocks = [...app.blockedUsers.values()]
    .filter((b) => b.user_id === user.id && app.users.has(b.blocked_user_id))
    .map((b) => ({ ...b, user: userView(app, user), blocked_user: userView(app, app.users.get(b.blocked_user_id)!) }));
  return { blocks };
});

export const userBlocks: Resource = {
  name: 'user blocks',
  state: { blockedUsers: mapSlice() },
  routes: [getBlockedUsers, blockUsers, unblockUsers],
};
