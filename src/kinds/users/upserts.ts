import type { Api, ApiRequest } from '../../core/api.js';
import type { PlannedChange } from '../../plan/plan.js';
import type { ChangeBatcher, ChangeInput } from '../types.js';

/**
 * Users are written in batches: UpdateUsers carries up to 100 users (a map id → user) and UpdateUsersPartial up to
 * 100 patches, and both endpoints are rate limited at 300 calls a minute, so one call per user would make 5,000
 * users take 17 minutes instead of 10 seconds.
 *
 * A user change that is exactly one UpdateUsers or UpdateUsersPartial call (the usual create and update) is merged
 * with others of the same kind and phase into calls of at most 100 users. Both endpoints check every user before
 * writing any, so a call refused for its content (400, 413) wrote nothing: its users are then sent one by one, and
 * only the user the API refuses fails, as it would without batching. Any other failure (network, auth, 5xx after
 * the client's retries) fails the users of that call, without sending them again. A change that needs more than
 * that one call (a restore, a (de)activation) is carried out on its own, its requests in order, exactly as the
 * executor would.
 */
export const USERS_PER_CALL = 100;

type Core = { op: 'UpdateUsers'; body: { users: Record<string, unknown> } } | { op: 'UpdateUsersPartial'; body: { users: unknown[] } };

/** The single UpdateUsers/UpdateUsersPartial call that makes up a change, or undefined when it is something else. */
function coreOf(requests: readonly ApiRequest[]): (ApiRequest & Core) | undefined {
  if (requests.length !== 1) return undefined;
  const [req] = requests as [ApiRequest];
  const users = (req.body as { users?: unknown } | undefined)?.users;
  if (req.op === 'UpdateUsers' && users && typeof users === 'object' && !Array.isArray(users) && Object.keys(users).length === 1) return req as ApiRequest & Core;
  if (req.op === 'UpdateUsersPartial' && Array.isArray(users) && users.length === 1) return req as ApiRequest & Core;
  return undefined;
}

/** One call carrying the users of `reqs` (all of one op). */
function merged(reqs: readonly (ApiRequest & Core)[]): ApiRequest {
  const [first] = reqs as [ApiRequest & Core];
  const users = first.op === 'UpdateUsers' ? Object.assign({}, ...reqs.map((r) => r.body.users)) : reqs.flatMap((r) => r.body.users as unknown[]);
  return { ...first, body: { ...first.body, users } };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** The call was refused for its content (an invalid user, a body too large): one user may be the cause. */
const refused = (err: unknown) => {
  const status = (err as { status?: unknown } | null)?.status;
  return status === 400 || status === 413;
};

async function sendAll(api: Api, requests: readonly ApiRequest[]): Promise<void> {
  for (const req of requests) await api.send(req);
}

type Requests = (change: ChangeInput) => ApiRequest[];

function upsertBatcher(action: 'create' | 'update', requestsOf: Requests): ChangeBatcher {
  return {
    kind: 'user',
    action,
    async run(changes, api, done) {
      const byOp = new Map<string, { change: PlannedChange; req: ApiRequest & Core }[]>();
      const alone: { change: PlannedChange; requests: ApiRequest[] }[] = [];
      for (const change of changes) {
        let requests: ApiRequest[];
        try {
          requests = requestsOf({ action: change.action, address: change.address, desired: change.desired, live: change.live, fields: change.fields });
        } catch (err) {
          done(change.address, message(err));
          continue;
        }
        const core = coreOf(requests);
        if (core) byOp.set(core.op, [...(byOp.get(core.op) ?? []), { change, req: core }]);
        else alone.push({ change, requests });
      }
      // `done` is called outside any try: its own failure is not the API's, and must not fail other users.
      const one = async (change: PlannedChange, requests: readonly ApiRequest[]) => {
        const error = await sendAll(api, requests).then(() => undefined, message);
        done(change.address, error);
      };
      const batches = [...byOp.values()].flatMap((items) => Array.from({ length: Math.ceil(items.length / USERS_PER_CALL) }, (_, i) => items.slice(i * USERS_PER_CALL, (i + 1) * USERS_PER_CALL)));
      await Promise.all([
        ...alone.map(({ change, requests }) => one(change, requests)),
        ...batches.map(async (batch) => {
          const failure = await api.send(merged(batch.map((b) => b.req))).then(() => undefined, (err: unknown) => ({ err }));
          if (failure && batch.length > 1 && refused(failure.err)) await Promise.all(batch.map((b) => one(b.change, [b.req])));
          else for (const b of batch) done(b.change.address, failure && message(failure.err));
        }),
      ]);
    },
  };
}

/** The executor's batchers for user creates and updates, given the user kind's requests. */
export const userUpsertBatchers = (requestsOf: Requests): readonly ChangeBatcher[] => [upsertBatcher('create', requestsOf), upsertBatcher('update', requestsOf)];
