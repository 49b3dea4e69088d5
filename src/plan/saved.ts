import { canonicalJson } from '../core/canonical.js';
import type { Change, DesiredState, LiveState, PlanDocument, WriteOnlyMemory } from '../core/model.js';
import { dependencies, type Plan, sensitiveFingerprint } from './plan.js';

/** Why a saved plan cannot be applied as it is, address by address (empty lists: it can). */
export interface SavedPlanCheck {
  /** Objects the saved plan depends on that moved since it was made. */
  moved: { address: string; how: 'created' | 'changed' | 'deleted' }[];
  /** Addresses whose change the desired state no longer produces as saved (the file changed since). */
  differs: string[];
  /** Whether the sensitive values are those the plan was made with. */
  sensitiveMatches: boolean;
  /** The part of the current plan that is the saved plan: what `apply --plan` executes. */
  plan: Plan;
  /** Changes the current plan has beyond the saved plan (not executed: they were not reviewed). */
  extra: Change[];
}

/**
 * A saved plan against the plan made now from the same file and the app as it is now. The saved plan stays
 * valid while the objects it depends on (`depends_on`) are as they were and the file still produces its changes;
 * anything else in the app may have moved (another pull request applied in between, an object the file ignores).
 * A plan saved without `depends_on` depends on the whole app, as before.
 */
export function checkSaved(saved: PlanDocument, current: Plan, ctx: { desired: DesiredState; live: LiveState; memory: WriteOnlyMemory }): SavedPlanCheck {
  const addresses = new Set(saved.changes.map((c) => c.address));
  const moved: SavedPlanCheck['moved'] = [];
  if (saved.depends_on) {
    const now = dependencies([...addresses], ctx.desired, ctx.live);
    for (const address of addresses) {
      const then = saved.depends_on[address] ?? null;
      if (now[address] === then) continue;
      moved.push({ address, how: then === null ? 'created' : now[address] === null ? 'deleted' : 'changed' });
    }
  } else if (saved.live_fingerprint !== current.document.live_fingerprint) {
    moved.push(...[...addresses].map((address) => ({ address, how: 'changed' as const })));
  }
  const plan = restrict(current, addresses, ctx.memory);
  const byAddress = new Map(plan.document.changes.map((c) => [c.address, canonicalJson(c)]));
  const differs = saved.changes.filter((c) => byAddress.get(c.address) !== canonicalJson(c)).map((c) => c.address);
  return {
    moved,
    differs,
    sensitiveMatches: saved.sensitive_fingerprint === plan.document.sensitive_fingerprint,
    plan,
    extra: current.document.changes.filter((c) => !addresses.has(c.address)),
  };
}

/** The plan cut down to `addresses`: its changes, levels, summary and fingerprints; warnings and the rest kept. */
function restrict(plan: Plan, addresses: ReadonlySet<string>, memory: WriteOnlyMemory): Plan {
  const levels = plan.levels.map((level) => level.filter((c) => addresses.has(c.address))).filter((level) => level.length > 0);
  const ordered = levels.flat();
  const count = (action: string) => ordered.filter((c) => c.action === action).length;
  const { sensitive_fingerprint: _all, depends_on, ...rest } = plan.document;
  const sensitive = sensitiveFingerprint(ordered, memory);
  return {
    levels,
    document: {
      ...rest,
      summary: { ...rest.summary, create: count('create'), update: count('update'), delete: count('delete') },
      changes: plan.document.changes.filter((c) => addresses.has(c.address)),
      ...(sensitive ? { sensitive_fingerprint: sensitive } : {}),
      ...(depends_on ? { depends_on: Object.fromEntries(Object.entries(depends_on).filter(([a]) => addresses.has(a))) } : {}),
    },
  };
}
