import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Harness, withApp } from '../support/reconcile.js';

/**
 * Properties of the whole engine against the emulator, over generated desired states: apply then plan is
 * empty; a plan never deletes outside `policy.prune`; applying twice equals applying once.
 */
const ROLE_POOL = ['agent', 'lead', 'bot', 'ops'];
const LIST_POOL = ['banned', 'spam', 'scams', 'links'];
const USER_POOL = ['ann', 'bo', 'cy'];
const GROUP_POOL = ['support', 'tier-2'];
const PRUNABLE = ['blocklists', 'roles', 'user_groups'];

const word = fc.stringMatching(/^[a-z]{2,8}$/);
const subset = <T>(pool: T[]) => fc.subarray(pool);

const desiredState = fc
  .record({
    roles: subset(ROLE_POOL),
    lists: subset(LIST_POOL),
    users: subset(USER_POOL),
    groups: subset(GROUP_POOL),
    prune: subset(PRUNABLE),
    sections: fc.record({ roles: fc.boolean(), blocklists: fc.boolean(), users: fc.boolean(), user_groups: fc.boolean() }),
  })
  .chain((s) =>
    fc.record({
      shape: fc.constant(s),
      words: fc.tuple(...s.lists.map(() => fc.uniqueArray(word, { minLength: 1, maxLength: 6 }))),
      leet: fc.tuple(...s.lists.map(() => fc.option(fc.boolean(), { nil: undefined }))),
      names: fc.tuple(...s.users.map(() => fc.stringMatching(/^[A-Z][a-z]{1,6}$/))),
      userRoles: fc.tuple(...s.users.map(() => fc.constantFrom('user', ...(s.sections.roles ? s.roles : [])))),
      members: fc.tuple(...s.groups.map(() => (s.sections.users ? fc.subarray(s.users) : fc.constant([] as string[])))),
      descriptions: fc.tuple(...s.groups.map(() => fc.option(fc.stringMatching(/^[a-z ]{0,12}$/), { nil: undefined }))),
    }),
  )
  .map(({ shape, words, leet, names, userRoles, members, descriptions }) => {
    const doc: Record<string, unknown> = { version: 1 };
    if (shape.sections.roles) doc.roles = shape.roles.map((name) => ({ name }));
    if (shape.sections.blocklists) doc.blocklists = shape.lists.map((name, i) => ({ name, words: words[i], ...(leet[i] === undefined ? {} : { is_leet_check_enabled: leet[i] }) }));
    if (shape.sections.users) doc.users = shape.users.map((id, i) => ({ id, name: names[i], role: userRoles[i] }));
    if (shape.sections.user_groups) {
      doc.user_groups = shape.groups.map((id, i) => ({ id, name: id.toUpperCase(), ...(descriptions[i] === undefined ? {} : { description: descriptions[i] }), ...(shape.sections.users ? { members: members[i] } : {}) }));
    }
    const prune = shape.prune.filter((p) => doc[p] !== undefined);
    if (prune.length) doc.policy = { prune };
    return { yaml: stringify(doc), doc };
  });

type Doc = Record<string, unknown> & { users?: { id: string; role: string }[]; roles?: { name: string }[]; policy?: { prune?: string[] } };

/**
 * Stream refuses to delete a role some user still holds, and stream-sync never lists undeclared users: a
 * target that prunes away a role an undeclared user of the earlier state holds cannot converge (apply reports
 * the failure). Such pairs are outside the property.
 */
function convergible(before: Doc, target: Doc): boolean {
  if (!target.policy?.prune?.includes('roles')) return true;
  const kept = new Set((target.roles ?? []).map((r) => r.name));
  const redeclared = new Map((target.users ?? []).map((u) => [u.id, u.role]));
  return (before.users ?? []).every((u) => u.role === 'user' || kept.has(u.role) || (redeclared.has(u.id) && (redeclared.get(u.id) === 'user' || kept.has(redeclared.get(u.id)!))));
}

/** Limits far above what the properties send (their runs check convergence, not pacing); tasks done at once. */
const FAST = { taskStepMs: 0, rateLimits: { defaultPerMinute: 600_000, perMinute: { UpdateApp: 600_000, UpdateUsers: 600_000, UpdateUsersPartial: 600_000, QueryUsers: 600_000 } } };

const snapshot = async (h: Harness, yaml: string) => {
  const { live } = await h.plan(yaml);
  return JSON.stringify([...live.objects.values()].sort((a, b) => (a.address < b.address ? -1 : 1)));
};

describe('engine properties over generated desired states', () => {
  it('apply then plan is empty, and applying twice equals applying once', async () => {
    await fc.assert(
      fc.asyncProperty(desiredState, desiredState, async (before, target) => {
        fc.pre(convergible(before.doc as Doc, target.doc as Doc));
        await withApp(async (h) => {
          await h.apply(before.yaml, { allowDeletes: 1000 });
          const first = await h.apply(target.yaml, { allowDeletes: 1000 });
          expect(first.result.failed).toEqual([]);
          expect(first.notConverged).toEqual([]);
          expect((await h.plan(target.yaml)).plan.document.changes).toEqual([]);
          const once = await snapshot(h, target.yaml);
          const second = await h.apply(target.yaml, { allowDeletes: 1000 });
          expect(second.plan.document.changes).toEqual([]);
          expect(await snapshot(h, target.yaml)).toBe(once);
        }, FAST);
      }),
      { numRuns: 25 },
    );
  });

  it('never plans a delete outside policy.prune, of a declared object, or of a built-in', async () => {
    await fc.assert(
      fc.asyncProperty(desiredState, desiredState, async (before, target) =>
        withApp(async (h) => {
          await h.apply(before.yaml, { allowDeletes: 1000 });
          const { plan, desired } = await h.plan(target.yaml);
          const pruned = new Set((target.doc.policy as { prune?: string[] } | undefined)?.prune ?? []);
          const sectionOf: Record<string, string> = { blocklist: 'blocklists', role: 'roles', user_group: 'user_groups', user: 'users' };
          for (const c of plan.document.changes.filter((c) => c.action === 'delete')) {
            expect(pruned.has(sectionOf[c.kind]!), `${c.address} deleted without ${sectionOf[c.kind]} in prune`).toBe(true);
            expect(desired.objects.has(c.address)).toBe(false);
            expect(['role/user', 'role/admin', 'role/guest', 'role/anonymous', 'role/channel_member', 'role/channel_moderator', 'blocklist/profanity_en_2020_v1']).not.toContain(c.address);
          }
        }, FAST),
      ),
      { numRuns: 25 },
    );
  });
});
