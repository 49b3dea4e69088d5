/** CreateGuest: a user with the `guest` role, answered with a token signed by the app's secret. */
import { SignJWT } from 'jose';
import { z } from 'zod';
import { inputError } from '../../errors.js';
import type { Resource } from '../../resource.js';
import { route } from '../../router.js';
import { nowIso, parseInput } from '../../validate.js';
import { userView } from './model.js';
import { upsertedUser, userRequest } from './upsert.js';

const createGuest = route('POST', '/api/v2/guest', 'CreateGuest', async (ctx) => {
  const { user: input } = parseInput(z.object({ user: userRequest }), ctx.body);
  if (ctx.app.users.has(input.id)) throw inputError(`user "${input.id}" already exists`, { 'user.id': `user "${input.id}" already exists` });
  const user = upsertedUser(ctx.app, { ...input, role: 'guest' }, undefined, nowIso(ctx.now));
  ctx.app.users.set(user.id, user);
  const accessToken = await new SignJWT({ user_id: user.id }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(ctx.app.secret));
  return { user: userView(ctx.app, user), access_token: accessToken };
});

export const guests: Resource = {
  name: 'guests',
  routes: [createGuest],
};
