import { MODERATION_PAGE } from '../../src/kinds/moderation/configs.js';
import type { Drift, Workload } from './workload.js';

/**
 * The physical limit of each scenario: the requests any reconciler must make for it, and the earliest Stream's rate
 * limits let those requests finish.
 *
 * "Must make" is computed from the workload, not from what stream-sync sent: the fewest calls the API allows
 * (UpdateUsers carries 100 users, CreateUserGroup 100 member ids, one ListBlockLists page 200 lists, one moderation
 * config or rule query page 100; group members are only readable one group at a time with GetUserGroup), including
 * the read-back of what an apply wrote (the product contract makes it part of apply). A kind that is not pruned is
 * read by id, never listed.
 *
 * The bound is the larger of
 *  - the busiest endpoint: the earliest its calls can all be admitted under Stream's fixed windows (per minute, and
 *    per second at a thirtieth of that), starting when the scenario starts with the minute budget it has left then;
 *    this is exact for fixed windows, and lower than calls ÷ per-minute rate when a burst can straddle a minute
 *    boundary (2,000 calls at 1,000/min can finish in a little over 60 s, not 120 s);
 *  - the dependency levels (reads, then each level of writes, then the read-back) times one round trip.
 */
export type ScenarioName = 'cold apply' | 'unchanged plan' | '1 % drift: plan' | '1 % drift: apply';

export type Calls = Record<string, number>;

export interface MustMake {
  calls: Calls;
  /** Round trips that must follow one another (each needs the answer of the one before). */
  levels: number;
}

const pages = (n: number, per: number) => Math.ceil(n / per);

function add(into: Calls, from: Calls): Calls {
  for (const [op, n] of Object.entries(from)) if (n > 0) into[op] = (into[op] ?? 0) + n;
  return into;
}

/** Reading the declared app back (a plan of an app that holds the workload, or an apply's read-back of all of it). */
function readPopulated(w: Workload): Calls {
  const c = w.counts;
  return {
    GetApp: 1,
    ListRoles: 1,
    // The built-in list is listed too.
    ListBlockLists: pages(c.blocklists + 1, 200),
    ListPushProviders: 1,
    GetPushTemplates: c.pushProviders,
    ListExternalStorage: 1,
    ListCallTypes: 1,
    ListCommands: 1,
    ListChannelTypes: 1,
    // Pruned kinds, read whole: POST queries (reads), 100 a page.
    query_moderation_configs: pages(c.moderationConfigs, MODERATION_PAGE),
    query_moderation_rules: pages(c.moderationRules, MODERATION_PAGE),
    QueryUsers: pages(c.users, 100),
    GetUserGroup: c.userGroups,
  };
}

/** Reading a new app: one call per kind says it holds nothing of ours (nothing to read per provider or group). */
function readEmpty(w: Workload): Calls {
  return { GetApp: 1, ListRoles: 1, ListBlockLists: 1, ListPushProviders: 1, ListExternalStorage: 1, ListCallTypes: 1, ListCommands: 1, ListChannelTypes: 1, query_moderation_configs: 1, query_moderation_rules: 1, QueryUsers: pages(w.counts.users, 100), ListUserGroups: 1 };
}

function createAll(w: Workload): Calls {
  const c = w.counts;
  const members = w.scale.membersPerGroup;
  return {
    CreateRole: c.roles,
    UpdateApp: 1,
    CreateBlockList: c.blocklists,
    UpsertPushProvider: c.pushProviders,
    UpsertPushTemplate: c.pushTemplates,
    CreateExternalStorage: c.externalStorages,
    CreateCallType: c.callTypes,
    CreateCommand: c.commands,
    CreateChannelType: c.channelTypes - c.builtinChannelTypes,
    // The fields CreateChannelType does not take, right after the create; the built-in types declared are updates.
    UpdateChannelType: c.channelTypesCreatedInTwo + c.builtinChannelTypes,
    upsert_config: c.moderationConfigs,
    upsert_moderation_rule: c.moderationRules,
    UpdateUsers: pages(c.users, 100),
    CreateUserGroup: c.userGroups,
    AddUserGroupMembers: c.userGroups * Math.max(0, pages(members, 100) - 1),
  };
}

export function mustMake(scenario: ScenarioName, base: Workload, drift: Drift): MustMake {
  switch (scenario) {
    case 'cold apply':
      // Reads; roles; users (they name roles); groups (they list users); read-back. The chat chain is as long: reads;
      // commands, block lists and roles; CreateChannelType; its UpdateChannelType; read-back. So is moderation's: reads;
      // block lists; the configs that name them (upsert_config); the rules that name those (upsert_moderation_rule);
      // read-back.
      return { calls: add(add(readEmpty(base), createAll(base)), readPopulated(base)), levels: 5 };
    case 'unchanged plan':
      return { calls: readPopulated(base), levels: 1 };
    case '1 % drift: plan':
      return { calls: readPopulated(drift.workload), levels: 1 };
    case '1 % drift: apply': {
      const d = drift.changed;
      const writes: Calls = {
        UpdateBlockList: d.blocklists,
        UpdateApp: d.grants ? 1 : 0,
        UpsertPushProvider: d.pushProviders,
        UpsertPushTemplate: d.pushTemplates,
        UpdateExternalStorage: d.externalStorages,
        UpdateCallType: d.callTypes,
        UpdateCommand: d.commands,
        UpdateChannelType: d.channelTypes,
        upsert_config: d.moderationConfigs,
        upsert_moderation_rule: d.moderationRules,
        AddUserGroupMembers: d.userGroups,
        RemoveUserGroupMembers: d.userGroups,
        UpdateUsersPartial: pages(d.users, 100),
      };
      const readBack: Calls = {
        ListBlockLists: d.blocklists ? 1 : 0,
        GetApp: d.grants ? 1 : 0,
        ListPushProviders: d.pushProviders ? 1 : 0,
        GetPushTemplates: d.pushTemplateProviders,
        ListExternalStorage: d.externalStorages ? 1 : 0,
        ListCallTypes: d.callTypes ? 1 : 0,
        ListCommands: d.commands ? 1 : 0,
        ListChannelTypes: d.channelTypes ? 1 : 0,
        query_moderation_configs: d.moderationConfigs ? 1 : 0,
        query_moderation_rules: d.moderationRules ? 1 : 0,
        GetUserGroup: d.userGroups,
        QueryUsers: pages(d.users, 100),
      };
      // Reads; the writes (none depends on another: a rule's update needs its configs to exist, not to be updated
      // first); read-back.
      return { calls: add(add(readPopulated(drift.workload), writes), readBack), levels: 3 };
    }
  }
}

/** What the server's limiter says about one endpoint when the scenario starts (GetRateLimits-style). */
export interface Budget {
  /** Per-minute limit. */
  limit: number;
  /** Left in the current minute window. */
  remaining: number;
  /** Unix seconds at which the current minute window ends. */
  reset: number;
}

/**
 * The earliest time (ms after `startMs`) at which `calls` requests to one endpoint can all have been admitted by a
 * fixed-window limiter of `budget.limit` per minute and a thirtieth of it per second. Greedy admission (as many
 * as each second allows, as early as it allows) is optimal for fixed windows. Admission happens no earlier than
 * one round trip after the start: the request must reach the server and its answer come back.
 */
export function earliestFinishMs(calls: number, budget: Budget, startMs: number, rttMs: number): number {
  if (calls <= 0) return 0;
  const perSecond = Math.max(1, Math.floor(budget.limit / 30));
  let minuteEnd = budget.reset * 1000;
  // A budget read in an older window than the start: the window has turned, the budget is whole again.
  let usedMinute = minuteEnd > startMs ? budget.limit - budget.remaining : 0;
  if (minuteEnd <= startMs) minuteEnd = Math.floor(startMs / 60_000) * 60_000 + 60_000;
  let secondStart = Math.floor(startMs / 1000) * 1000;
  let left = calls;
  let lastWindow = startMs;
  for (;;) {
    if (secondStart >= minuteEnd) {
      minuteEnd += 60_000;
      usedMinute = 0;
    }
    const capacity = Math.min(perSecond, budget.limit - usedMinute);
    if (capacity > 0) {
      const take = Math.min(capacity, left);
      left -= take;
      usedMinute += take;
      lastWindow = Math.max(startMs, secondStart);
      if (left === 0) break;
    }
    secondStart += 1000;
  }
  return Math.max(rttMs, lastWindow - startMs);
}

export interface LowerBound {
  ms: number;
  /** The endpoint that sets the bound (or `round trips`), for the report. */
  bottleneck: string;
  bottleneckCalls: number;
  /** Must-make calls per endpoint. */
  calls: Calls;
}

/**
 * How stream-sync shares an app's budget with other clients (the shared-budget scenarios): `share` is its
 * `--rate-share` (a fraction, 0–1) and `others` the other clients' steady use of each endpoint per minute window.
 */
export interface Sharing {
  share: number;
  /** The other clients' calls per minute, by endpoint (a steady pace). */
  others: Record<string, number>;
  /** stream-sync's own calls to `op` in the window starting at `windowStart` so far (earlier runs in the same minute). */
  ownUsed?: (op: string, windowStart: number) => number;
}

/**
 * The part of one endpoint's budget left to stream-sync when it shares the app. Per minute window it may use its
 * share of the limit, and no more than the others leave:
 *
 *   allowed   = min(floor(share × limit), limit − others)      (at least 1)
 *   per second: floor(allowed / 30)                          (what earliestFinishMs derives from the limit it is given)
 *
 * and in the window the scenario starts in, what is left of that: its share less what stream-sync's earlier runs
 * used of the window (`ownUsed`: runs in a row keep to the share together), and no more than the window's remaining
 * less what the others will still use before it ends (`startMs`: their steady pace over the time left).
 *
 * E.g. the default share of 50 % beside a backend at 40 %: min(50 %, 60 %) = 50 % of the limit.
 */
export function budgetLeft(budget: Budget, share: number, others = 0, first: { startMs?: number; ownUsed?: number } = {}): Budget {
  const allowed = Math.max(1, Math.min(Math.floor(share * budget.limit), budget.limit - others));
  const endMs = budget.reset * 1000;
  const start = first.startMs ?? endMs - 60_000;
  // A budget read in an older window than the start: the window has turned, its share is whole.
  if (endMs <= start) return { limit: allowed, remaining: allowed, reset: budget.reset };
  const othersToCome = Math.ceil((others * (endMs - start)) / 60_000);
  const remaining = Math.max(0, Math.min(allowed - (first.ownUsed ?? 0), budget.remaining - othersToCome));
  return { limit: allowed, remaining, reset: budget.reset };
}

/** `sharing`: bound what stream-sync can do with the budget left to it (`budgetLeft`), not with the whole budget. */
export function lowerBound(must: MustMake, budgets: Record<string, Budget>, startMs: number, rttMs: number, sharing?: Sharing): LowerBound {
  let best: LowerBound = { ms: must.levels * rttMs, bottleneck: `${must.levels} round trips`, bottleneckCalls: must.levels, calls: must.calls };
  for (const [op, n] of Object.entries(must.calls)) {
    const whole = budgets[op];
    if (!whole) throw new Error(`no rate-limit budget for ${op}`);
    const budget = sharing ? budgetLeft(whole, sharing.share, sharing.others[op], { startMs, ownUsed: sharing.ownUsed?.(op, Math.floor(startMs / 60_000) * 60_000) }) : whole;
    const ms = earliestFinishMs(n, budget, startMs, rttMs);
    if (ms > best.ms) best = { ms, bottleneck: op, bottleneckCalls: n, calls: must.calls };
  }
  return best;
}
