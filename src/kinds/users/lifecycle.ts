import type { DesiredState, Inventories, LiveObject, LiveState, PlanWarning, Policy, Rec } from '../../core/model.js';
import type { Plan } from '../../plan/plan.js';
import type { Api, ApiRequest } from '../../core/api.js';
import type { ApplyResult, ChangeBatcher, LiveExtension, TaskWait } from '../types.js';
import { queryUsersByIds, userLive } from './ids.js';

/**
 * The part of a user's life that is not a field: who may be deleted, how deletes run, and the restore of a
 * soft-deleted user the file declares again.
 *
 * - Inventory: after an apply, every user the file declares is recorded in the state file. With `users` in
 *   `policy.prune`, a recorded user that has left the file is read (by id) and planned for deletion; no other user
 *   is ever listed or deleted. An id leaves the inventory when stream-sync deletes its user.
 * - Deletes: DeleteUsers with `policy.user_delete` (soft by default), at most 100 users per call, each call's task
 *   awaited through GetTask; a task that fails or does not finish in time fails its users' deletes.
 * - Restore: a declared user that QueryUsers does not find may be soft-deleted; it is looked up with a filter on
 *   `deleted_at` and, when found, its create is carried out as RestoreUsers plus a partial update.
 */

const USER_PREFIX = 'user/';
const idOf = (address: string) => address.slice(USER_PREFIX.length);

/** The state file's slot for the ids of the users stream-sync has managed. */
export const USER_INVENTORY = 'users';

/**
 * A deleted user's devices and blocks cannot be read (the API refuses), so the plan cannot see the undeclared ones
 * until the user is back: they show up, and are pruned where the file says so, on the next run.
 */
export const RESTORE_WARNING = 'soft-deleted in the app: apply restores it (RestoreUsers), then writes the declared fields; its devices and blocks can be read only once it is back, so undeclared ones are pruned on the next run';

/** What each `policy.user_delete` mode does to a deleted user, as the plan says it. */
const DELETE_MODES: Record<NonNullable<Policy['user_delete']>, string> = {
  soft: 'soft: the users are marked deleted and keep their data; they can be restored (declare them again, or RestoreUsers)',
  pruning: 'pruning: the users are marked deleted and their personal fields erased; they cannot be restored as they were',
  hard: 'hard: the users, their messages and their conversations are deleted for good; this cannot be undone',
};

/** The plan's note on how its user deletes run (policy.user_delete), once for all of them; none without deletes. */
function userDeleteNote(plan: Plan, mode: Policy['user_delete']): PlanWarning | undefined {
  const n = plan.levels.flat().filter((c) => c.kind === 'user' && c.action === 'delete').length;
  if (!n) return undefined;
  return { address: 'policy.user_delete', message: `${n} user${n === 1 ? ' is' : 's are'} deleted ${DELETE_MODES[mode ?? 'soft']}` };
}

const declaredUserIds = (desired: DesiredState) => [...desired.objects.values()].filter((o) => o.kind === 'user').map((o) => String(o.fields.id));

/**
 * Reads what the plan needs beyond the users' own fetch: soft-deleted declared users, and (with `users` in
 * `policy.prune`) the inventory's users that are no longer declared. Both are reads by id.
 */
export async function readUserLifecycle(api: Api, desired: DesiredState, live: LiveState, inventory: readonly string[]): Promise<Required<LiveExtension>> {
  if (!desired.managedKinds.has('user')) return { live, annotate: (plan) => plan };
  const declared = new Set(declaredUserIds(desired));
  const missing = [...declared].filter((id) => !live.objects.has(`${USER_PREFIX}${id}`));
  const leftTheFile = desired.policy.prune.includes('users') ? inventory.filter((id) => !declared.has(id)) : [];
  const [deleted, pruneCandidates] = await Promise.all([queryUsersByIds(api, missing, { deleted: true }), queryUsersByIds(api, leftTheFile)]);

  const objects = new Map(live.objects);
  // Read again as ours: a user of the inventory may also have been read as a group member (never deletable).
  for (const u of pruneCandidates) if (!u.deleted_at) objects.set(`${USER_PREFIX}${String(u.id)}`, userLive(u));
  const softDeleted = new Map<string, LiveObject>(deleted.filter((u) => u.deleted_at && declared.has(String(u.id))).map((u) => [`${USER_PREFIX}${String(u.id)}`, userLive(u)]));

  return {
    live: { ...live, objects },
    annotate(plan) {
      for (const change of plan.levels.flat()) {
        const was = softDeleted.get(change.address);
        if (!was || change.kind !== 'user' || change.action !== 'create') continue;
        change.live = was;
        plan.document.warnings.push({ address: change.address, message: RESTORE_WARNING });
      }
      const note = userDeleteNote(plan, desired.policy.user_delete);
      if (note) plan.document.warnings.push(note);
      return plan;
    },
  };
}

/**
 * After an apply: the inventory becomes every declared user plus the users it held before, less those stream-sync
 * has just deleted. A users section that is absent leaves the inventory as it is (users are then unmanaged).
 */
export function recordManagedUsers(inventories: Inventories, desired: DesiredState, plan: Plan, result: ApplyResult): void {
  if (!desired.managedKinds.has('user')) return;
  const applied = new Set(result.applied);
  const deleted = new Set(
    plan.levels
      .flat()
      .filter((c) => c.kind === 'user' && c.action === 'delete' && applied.has(c.address))
      .map((c) => idOf(c.address)),
  );
  const before = [...inventories.inventory(USER_INVENTORY)].sort();
  const after = [...new Set([...before.filter((id) => !deleted.has(id)), ...declaredUserIds(desired)])].sort();
  if (after.length !== before.length || after.some((id, i) => id !== before[i])) inventories.setInventory(USER_INVENTORY, after);
}

export const DEFAULT_TASK_WAIT: TaskWait = {
  timeoutMs: 120_000,
  pollMs: 200,
  maxPollMs: 2_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/** Polls GetTask until the task completes or fails; throws when it has not finished within the timeout. */
export async function awaitTask(api: Api, taskId: string, wait: TaskWait): Promise<Rec> {
  const deadline = wait.now() + wait.timeoutMs;
  let pause = wait.pollMs;
  for (;;) {
    const task = await api.send<Rec>({ op: 'GetTask', method: 'GET', path: '/api/v2/tasks/{id}', params: { id: taskId }, idempotent: true });
    if (task.status === 'completed' || task.status === 'failed') return task;
    if (wait.now() + pause > deadline) {
      throw new Error(`task ${taskId} did not finish within ${Math.round(wait.timeoutMs / 1000)}s (status ${String(task.status)}); it may still complete`);
    }
    await wait.sleep(pause);
    pause = Math.min(pause * 2, wait.maxPollMs);
  }
}

/** DeleteUsers takes at most 100 ids per call. */
export const DELETE_BATCH = 100;

/**
 * The DeleteUsers request for these ids in the policy's mode. A hard delete requires hard deletes of the user's
 * messages and conversations too (the API refuses it otherwise); soft and pruning leave content alone.
 */
export function deleteUsersRequest(ids: readonly string[], mode: NonNullable<Policy['user_delete']>): ApiRequest {
  const body: Rec = { user_ids: [...ids], user: mode };
  if (mode === 'hard') Object.assign(body, { messages: 'hard', conversations: 'hard' });
  // Not safe to repeat blindly: a second call for users already deleted is refused.
  return { op: 'DeleteUsers', method: 'POST', path: '/api/v2/users/delete', body, idempotent: false };
}

/** What a finished task says about one user: its error, or undefined when it was deleted. */
function outcome(task: Rec, id: string): string | undefined {
  if (task.status === 'failed') {
    const error = task.error as Rec | undefined;
    return `DeleteUsers task ${String(task.task_id)} failed: ${String(error?.description ?? 'no reason given')}`;
  }
  const perUser = ((task.result as Rec | undefined)?.users as Rec | undefined)?.[id] as Rec | undefined;
  if (perUser?.status === 'failed') return `DeleteUsers task ${String(task.task_id)}: ${String(perUser.error ?? 'the user was not deleted')}`;
  return undefined;
}

/**
 * Runs the planned user deletes: one DeleteUsers per 100 users in the policy's mode, each task awaited. The
 * batches run one after another (each is a large job on Stream's side).
 */
export function userDeleteBatcher(policy: Pick<Policy, 'user_delete'>, wait: Partial<TaskWait> = {}): ChangeBatcher {
  const mode = policy.user_delete ?? 'soft';
  const waitFor: TaskWait = { ...DEFAULT_TASK_WAIT, ...wait };
  return {
    kind: 'user',
    action: 'delete',
    async run(changes, api, done) {
      const ids = changes.map((c) => idOf(c.address));
      for (let i = 0; i < ids.length; i += DELETE_BATCH) {
        const batch = ids.slice(i, i + DELETE_BATCH);
        let errorOf: (id: string) => string | undefined;
        try {
          const { task_id } = await api.send<{ task_id: string }>(deleteUsersRequest(batch, mode));
          const task = await awaitTask(api, task_id, waitFor);
          errorOf = (id) => outcome(task, id);
        } catch (err) {
          errorOf = () => (err instanceof Error ? err.message : String(err));
        }
        // Outside the try: a failure of `done` is not the API's.
        for (const id of batch) done(`${USER_PREFIX}${id}`, errorOf(id));
      }
    },
  };
}
