import { readFileSync } from 'node:fs';
import { errorMessage, GuardError, StoppedError } from '../core/errors.js';
import type { Change, DesiredState, PlanDocument } from '../core/model.js';
import { parsePlanJson, renderPlan } from '../plan/render/index.js';
import type { SavedPlanCheck } from '../plan/saved.js';
import { Progress } from './progress.js';
import { plannedChecks, renderResults, runChecks, selectChecks } from '../runtime/checks.js';
import { outcomeOf, reconcileOnce } from '../runtime/reconcile.js';
import { listed, reviewSavedPlan } from '../runtime/saved-plan.js';
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
export async function runApply(desired: DesiredState, flags: ApplyFlags, session: Pick<Session, 'deps' | 'client'>, out: Output, progress = new Progress(out.stderr)): Promise<number> {
  let extra: Change[] = [];
  let reconciled;
  try {
    reconciled = await reconcileOnce({ ...session.deps, client: session.client }, desired, {
      targets: flags.targets,
      dryRun: flags.dryRun,
      allowDeletes: flags.allowDeletes,
      review: flags.planFile
        ? (made) => {
            const checked = reviewSavedPlanFile(flags.planFile!, made);
            extra = checked.extra;
            return checked.plan;
          }
        : undefined,
      onPlan: ({ document: doc }) => {
        out.stdout(renderPlan(doc, 'text', { color: out.color, dryRun: flags.dryRun && doc.changes.length > 0 }));
        const one = extra.length === 1;
        if (extra.length) out.stdout(`Note: the file now also produces ${extra.length} change${one ? '' : 's'} that the saved plan does not have (${listed(extra.map((c) => c.address))}); ${one ? 'it is' : 'they are'} not applied: plan again to review ${one ? 'it' : 'them'}.`);
        if (!flags.dryRun) progress.start(doc.changes.length);
      },
      onChange: (change, outcome, detail) => progress.settled(change, outcome, detail),
    });
  } catch (err) {
    // Interrupted before the first change (reading the app, planning, waiting for the lock): nothing was written.
    if (err instanceof StoppedError) throw new Error('interrupted before any change was applied: nothing was written');
    throw err;
  } finally {
    progress.stop();
  }
  const { plan, applied } = reconciled;
  if (!applied || plan.document.changes.length === 0) return 0;
  const { result, notConverged } = applied;
  const o = outcomeOf(reconciled);
  const verdict = applied.interrupted ? 'interrupted' : o.failed || o.notConverged ? 'finished with errors' : 'complete';
  const lines = [`Apply ${verdict}: ${o.applied.create} created, ${o.applied.update} updated, ${o.applied.delete} deleted.`];
  for (const f of result.failed) lines.push(`  failed  ${f.address} (${f.action}): ${f.error}`);
  for (const s of result.skipped) lines.push(`  skipped ${s.address}: ${s.reason}`);
  for (const a of notConverged) lines.push(`  not converged ${a}: still differs from the file after apply (read back)`);
  if (applied.interrupted) {
    const n = result.interrupted.length;
    lines.push(`  not applied: ${n} change${n === 1 ? '' : 's'} interrupted before ${n === 1 ? 'it' : 'they'} finished: ${listed(result.interrupted.map((c) => `${c.address} (${c.action})`))}`);
    lines.push('  The state file records what was applied. Run plan again to see what is left.');
  }
  out.stdout(`${lines.join('\n')}\n`);
  const code = o.broken ? 1 : 0;
  if (!flags.verify || applied.interrupted) return code;
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

/** `apply --plan FILE`: the saved plan read from its file, then reviewed against the plan made now. */
function reviewSavedPlanFile(file: string, made: Parameters<typeof reviewSavedPlan>[2]): SavedPlanCheck {
  let saved: PlanDocument;
  try {
    saved = parsePlanJson(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GuardError(`cannot use the saved plan ${file}: ${errorMessage(err)}`);
  }
  return reviewSavedPlan(saved, file, made);
}
