/** ExportUser (answered at once) and ExportUsers (a task whose result is the export). */
import { z } from 'zod';
import { inputError, orNotFound } from '../../errors.js';
import type { Resource } from '../../resource.js';
import { route } from '../../router.js';
import type { AppState, Rec } from '../../store.js';
import { parseInput } from '../../validate.js';
import { userIds, userView } from './model.js';

function exportDocument(app: AppState, users: Rec[]): Rec {
  return { users: users.map((u) => userView(app, u)), messages: [], reactions: [] };
}

/** The export is handed back as a `data:` URL: a real, fetchable URL that needs no file server. */
const exportUsers = route('POST', '/api/v2/export/users', 'ExportUsers', (ctx) => {
  const { user_ids } = parseInput(z.object({ user_ids: userIds(25) }), ctx.body);
  const { app } = ctx;
  const unknown = user_ids.filter((id) => !app.users.has(id));
  if (unknown.length) throw inputError(`users do not exist: ${unknown.join(', ')}`, { user_ids: `users do not exist: ${unknown.join(', ')}` });
  const taskId = ctx.tasks.create(app, 'export-users', ctx.now, () => {
    const users = user_ids.map((id) => app.users.get(id)).filter((u): u is Rec => !!u);
    const json = JSON.stringify(exportDocument(app, users));
    return { result: { url: `data:application/json;base64,${Buffer.from(json).toString('base64')}` } };
  });
  return { task_id: taskId };
});

/** Deleted users can still be exported: only users that never existed (or were hard-deleted) are unknown. */
const exportUser = route('GET', '/api/v2/users/{user_id}/export', 'ExportUser', (ctx) => {
  const user = orNotFound(ctx.app.users.get(ctx.params.user_id!), `user "${ctx.params.user_id}" does not exist`);
  const { users, ...rest } = exportDocument(ctx.app, [user]);
  return { user: users[0], ...rest };
});

export const userExports: Resource = {
  name: 'user exports',
  routes: [exportUser, exportUsers],
};
