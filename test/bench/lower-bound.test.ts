import { describe, expect, it } from 'vitest';
import { READ_POSTS } from './emulator-client.js';
import { budgetLeft, earliestFinishMs, lowerBound, mustMake } from './lower-bound.js';
import { BUILTIN_CHANNEL_TYPES_DECLARED, createsInTwo, driftWorkload, generateWorkload, QUICK_SCALE } from './workload.js';

/** The benchmark's lower bound (the benchmark itself runs with `npm run bench`, not in the test suite). */
const MINUTE = 60_000;
const start = 1_800_000 * MINUTE; // a minute boundary
const whole = (limit: number, at = start) => ({ limit, remaining: limit, reset: (Math.floor(at / MINUTE) * MINUTE + MINUTE) / 1000 });

describe('earliestFinishMs: the earliest a burst of calls can be admitted by fixed windows', () => {
  it('admits a thirtieth of the per-minute limit each second, and the rest after the minute turns', () => {
    // 1,000 a minute: 33 a second, so 1,000 calls take seconds 0–30; the next 1,000 start at the next minute.
    expect(earliestFinishMs(1_000, whole(1_000), start, 20)).toBe(30_000);
    expect(earliestFinishMs(2_000, whole(1_000), start, 20)).toBe(90_000);
  });

  it('is shorter when the burst straddles a minute boundary', () => {
    const at = start + 29_000;
    expect(earliestFinishMs(2_000, whole(1_000, at), at, 20)).toBe(61_000);
  });

  it('starts from what the minute has left', () => {
    expect(earliestFinishMs(10, { ...whole(1_000), remaining: 0 }, start + 1_000, 20)).toBe(59_000);
    // A budget read in an older window: the window has turned, the budget is whole.
    expect(earliestFinishMs(10, { limit: 1_000, remaining: 0, reset: start / 1000 }, start, 20)).toBe(20);
  });

  it('is never less than one round trip, and zero for no call', () => {
    expect(earliestFinishMs(1, whole(1_000), start, 23)).toBe(23);
    expect(earliestFinishMs(0, whole(1_000), start, 23)).toBe(0);
  });
});

describe('the lower bound of a scenario', () => {
  const base = generateWorkload(QUICK_SCALE);
  const drift = driftWorkload(base);

  it('counts the calls any reconciler must make: an unchanged plan reads every group with members, one at a time', () => {
    const must = mustMake('unchanged plan', base, drift);
    expect(must.calls.GetUserGroup).toBe(QUICK_SCALE.userGroups);
    expect(must.calls.QueryUsers).toBe(Math.ceil(QUICK_SCALE.users / 100));
    // Reads only: gets, lists, queries (the moderation ones are POSTs, counted as reads).
    expect(Object.keys(must.calls).filter((op) => !/^(Get|List|Query)/.test(op) && !READ_POSTS.has(op))).toEqual([]);
  });

  it('counts the chat configuration: a create of a channel type with update-only fields is two calls, built-in types are updated', () => {
    const cold = mustMake('cold apply', base, drift);
    const custom = base.doc.channel_types.filter((t) => !BUILTIN_CHANNEL_TYPES_DECLARED.some((b) => b === t.name));
    expect(cold.calls.CreateCommand).toBe(QUICK_SCALE.commands);
    expect(cold.calls.CreateChannelType).toBe(QUICK_SCALE.channelTypes);
    expect(custom.filter(createsInTwo).length).toBeGreaterThan(0);
    expect(cold.calls.UpdateChannelType).toBe(custom.filter(createsInTwo).length + BUILTIN_CHANNEL_TYPES_DECLARED.length);
    // Read on a new app, and read back.
    expect([cold.calls.ListCommands, cold.calls.ListChannelTypes]).toEqual([2, 2]);
    expect(mustMake('unchanged plan', base, drift).calls).toMatchObject({ ListCommands: 1, ListChannelTypes: 1 });
    const apply = mustMake('1 % drift: apply', base, drift);
    expect(apply.calls).toMatchObject({ UpdateCommand: 1, UpdateChannelType: 1, ListCommands: 2, ListChannelTypes: 2 });
  });

  it('counts the moderation policy: an upsert per config and rule, one query page of each in every read and read-back', () => {
    const cold = mustMake('cold apply', base, drift);
    expect(base.counts.moderationConfigs).toBe(QUICK_SCALE.channelTypes + 1);
    expect(cold.calls).toMatchObject({ upsert_config: base.counts.moderationConfigs, upsert_moderation_rule: QUICK_SCALE.moderationRules });
    expect([cold.calls.query_moderation_configs, cold.calls.query_moderation_rules]).toEqual([2, 2]);
    // Block lists, then the configs that name them, then the rules that name those: as long as the other chains.
    expect(cold.levels).toBe(5);
    expect(mustMake('unchanged plan', base, drift).calls).toMatchObject({ query_moderation_configs: 1, query_moderation_rules: 1 });
    expect(drift.changed).toMatchObject({ moderationConfigs: 2, moderationRules: 1 });
    const apply = mustMake('1 % drift: apply', base, drift);
    expect(apply.calls).toMatchObject({ upsert_config: 2, upsert_moderation_rule: 1, query_moderation_configs: 2, query_moderation_rules: 2 });
  });

  it('names only block lists and configs the workload declares', () => {
    const lists = new Set(base.doc.blocklists.map((b) => b.name));
    const keys = new Set(base.doc.moderation_configs.map((c) => c.key));
    expect(base.doc.moderation_configs.flatMap((c) => c.block_list_config?.rules ?? []).every((r) => lists.has(r.name))).toBe(true);
    expect(base.doc.moderation_rules.flatMap((r) => r.config_keys).every((k) => keys.has(k))).toBe(true);
    expect(keys.has('chat:messaging')).toBe(true);
  });

  it('is set by the busiest endpoint, or by the round trips that must follow one another', () => {
    const budgets = (ops: Record<string, number>) => Object.fromEntries(Object.keys(ops).map((op) => [op, whole(op === 'UpdateUsers' ? 300 : 1_000)]));
    const must = { calls: { CreateUserGroup: 2_000, UpdateUsers: 50 }, levels: 5 };
    expect(lowerBound(must, budgets(must.calls), start, 20)).toMatchObject({ ms: 90_000, bottleneck: 'CreateUserGroup', bottleneckCalls: 2_000 });
    const few = { calls: { CreateUserGroup: 3 }, levels: 5 };
    expect(lowerBound(few, budgets(few.calls), start, 20)).toMatchObject({ ms: 100, bottleneck: '5 round trips' });
  });
});

describe('the lower bound on the budget left beside another client', () => {
  it('is min(share × limit, limit − the others’ use) a minute, a thirtieth of that a second; in the first window, what the others and earlier runs leave', () => {
    // Default share 50 % beside a backend at 40 %: min(500, 600) = 500 a minute.
    expect(budgetLeft(whole(1_000), 0.5, 400)).toEqual({ ...whole(1_000), limit: 500, remaining: 500 });
    // A backend at 70 % leaves less than the share: 300.
    expect(budgetLeft(whole(1_000), 0.5, 700)).toMatchObject({ limit: 300, remaining: 300 });
    // Half-way through a window with 150 of 300 left: the backend (120 a minute) still takes 60 of them.
    expect(budgetLeft({ ...whole(300), remaining: 150 }, 0.5, 120, { startMs: start + 30_000 })).toMatchObject({ limit: 150, remaining: 90 });
    // An earlier run used 100 of this window's 150: 50 are left to this one.
    expect(budgetLeft({ ...whole(300), remaining: 150 }, 0.5, 120, { startMs: start + 30_000, ownUsed: 100 })).toMatchObject({ limit: 150, remaining: 50 });
    // Never nothing: at least one call a minute.
    expect(budgetLeft(whole(60), 0.5, 60).limit).toBe(1);
  });

  it('bounds the scenario on that budget: 2,000 GetUserGroup at 500 a minute, 16 a second', () => {
    const must = { calls: { GetUserGroup: 2_000, UpdateUsers: 10 }, levels: 1 };
    const budgets = { GetUserGroup: whole(1_000), UpdateUsers: whole(300) };
    expect(lowerBound(must, budgets, start, 20).ms).toBe(90_000);
    // 500 per window (31 s of 16 a second), four windows: the 2,000th call in the fourth window's second 31.
    expect(lowerBound(must, budgets, start, 20, { share: 0.5, others: { GetUserGroup: 400 } })).toMatchObject({ bottleneck: 'GetUserGroup', ms: 3 * MINUTE + 31_000 });
  });
});
