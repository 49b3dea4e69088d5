import { readFileSync } from 'node:fs';
import { canonicalJson } from '../core/canonical.js';
import { errorMessage, GuardError } from '../core/errors.js';
import type { DesiredState, PlanDocument } from '../core/model.js';
import { parsePlanJson, renderPlan } from '../plan/render/index.js';
import { plannedChecks, renderResults, runChecks, selectChecks } from '../runtime/checks.js';
import { outcomeOf, reconcileOnce } from '../runtime/reconcile.js';
import type { Session } from '../runtime/session.js';
import type { Output } from './output.js';

export interface ApplyFlags {
  dryRun: boolean;
  planFile?: string;
  allowDeletes?: number;
  targets: string[];
  /** After apply, run the live checks touching what was applied (`check`); a failing one makes the exit 1. */
  verify?: boolean;
}

/**
 * `apply`: plans (or re-checks a saved plan), prints the plan, checks the guards, executes, reads back.
 * 0 applied or nothing to do; 1 on any failed or unconverged change (reported per address).
 */
export async function runApply(desired: DesiredState, flags: ApplyFlags, session: Pick<Session, 'deps' | 'client'>, out: Output): Promise<number> {
  const reconciled = await reconcileOnce({ ...session.deps, client: session.client }, desired, {
    targets: flags.targets,
    dryRun: flags.dryRun,
    allowDeletes: flags.allowDeletes,
    accept: flags.planFile ? (doc) => checkSavedPlan(flags.planFile!, doc) : undefined,
    onPlan: ({ document: doc }) => out.stdout(renderPlan(doc, 'text', { color: out.color, dryRun: flags.dryRun && doc.changes.length > 0 })),
  });
  const { plan, applied } = reconciled;
  if (!applied || plan.document.changes.length === 0) return 0;
  const { result, notConverged } = applied;
  const o = outcomeOf(reconciled);
  const lines = [`Apply ${o.failed || o.notConverged ? 'finished with errors' : 'complete'}: ${o.applied.create} created, ${o.applied.update} updated, ${o.applied.delete} deleted.`];
  for (const f of result.failed) lines.push(`  failed  ${f.address} (${f.action}): ${f.error}`);
  for (const s of result.skipped) lines.push(`  skipped ${s.address}: ${s.reason}`);
  for (const a of notConverged) lines.push(`  not converged ${a}: still differs from the file after apply (read back)`);
  out.stdout(`${lines.join('\n')}\n`);
  const code = o.broken ? 1 : 0;
  if (!flags.verify) return code;
  const done = new Set(result.applied);
  const checks = selectChecks(plannedChecks(desired), { applied: plan.document.changes.filter((c) => done.has(c.address)) });
  if (checks.length === 0) {
    out.stdout('Verify: no live check covers what was applied.');
    return code;
  }
  const results = await runChecks(session.deps.api, checks, desired);
  out.stdout(renderResults(results, 'Verify'));
  return Math.max(code, results.some((r) => r.status === 'FAIL') ? 1 : 0);
}

/** A saved plan applies only while the live state and the planned changes are exactly what was reviewed. */
function checkSavedPlan(file: string, current: PlanDocument): void {
  let saved: PlanDocument;
  try {
    saved = parsePlanJson(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GuardError(`cannot use the saved plan ${file}: ${errorMessage(err)}`);
  }
  if (saved.target.api_key !== current.target.api_key || saved.target.base_url !== current.target.base_url) {
    throw new GuardError(`the saved plan ${file} was made for another app (${saved.target.api_key} at ${saved.target.base_url}): nothing was applied`);
  }
  if (saved.live_fingerprint !== current.live_fingerprint) {
    throw new GuardError(`the live state has changed since the plan ${file} was made: nothing was applied; plan again and review the new plan`);
  }
  if (canonicalJson(saved.changes) !== canonicalJson(current.changes)) {
    throw new GuardError(`the desired state no longer produces the saved plan ${file}: nothing was applied; plan again and review the new plan`);
  }
  // The changes compare equal with every sensitive value masked: the values themselves are compared by fingerprint.
  if (saved.sensitive_fingerprint !== current.sensitive_fingerprint) {
    throw new GuardError(`a sensitive value (a secret or a substituted \${...} value) is not the one the saved plan ${file} was made with: nothing was applied; plan again and review the new plan`);
  }
}
