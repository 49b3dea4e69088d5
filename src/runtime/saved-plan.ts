import { GuardError } from '../core/errors.js';
import type { DesiredState, LiveState, PlanDocument, WriteOnlyMemory } from '../core/model.js';
import type { Plan } from '../plan/plan.js';
import { checkSaved, type SavedPlanCheck } from '../plan/saved.js';

/** At most 20 items, then how many more. */
export function listed(items: readonly string[]): string {
  return items.length <= 20 ? items.join(', ') : `${items.slice(0, 20).join(', ')} and ${items.length - 20} more`;
}

/**
 * A saved plan applies while what it depends on is as it was reviewed: the objects it changes or deletes are
 * unchanged and those it creates still absent, the file still produces its changes, with the same sensitive
 * values. Anything else may have moved (another pull request applied in between). Returns what to execute, or
 * throws a GuardError naming `label` (the plan's file) to refuse. `apply --plan` and the library's `apply` share it.
 */
export function reviewSavedPlan(saved: PlanDocument, label: string, made: { plan: Plan; live: LiveState; desired: DesiredState; memory: WriteOnlyMemory }): SavedPlanCheck {
  const current = made.plan.document;
  if (saved.target.api_key !== current.target.api_key || saved.target.base_url !== current.target.base_url) {
    throw new GuardError(`the saved plan ${label} was made for another app (${saved.target.api_key} at ${saved.target.base_url}): nothing was applied`);
  }
  const checked = checkSaved(saved, made.plan, made);
  const again = 'nothing was applied; plan again and review the new plan';
  if (checked.moved.length) {
    const what = checked.moved.map((m) => `${m.address} ${m.how === 'changed' ? 'changed' : `was ${m.how}`}`);
    throw new GuardError(`the live state has changed since the plan ${label} was made: ${listed(what)}: ${again}`);
  }
  if (checked.differs.length) {
    throw new GuardError(`the desired state no longer produces the saved plan ${label} (it differs for ${listed(checked.differs)}): ${again}`);
  }
  // The changes compare equal with every sensitive value masked: the values themselves are compared by fingerprint.
  if (!checked.sensitiveMatches) {
    throw new GuardError(`a sensitive value (a secret or a substituted \${...} value) is not the one the saved plan ${label} was made with: ${again}`);
  }
  return checked;
}
