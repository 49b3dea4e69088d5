import { readFileSync, writeFileSync } from 'node:fs';
import { applyPlan, checkDeleteGuard, planFor } from '../runtime/engine.js';
import { GuardError } from '../core/errors.js';
import type { DesiredState, PlanDocument } from '../core/model.js';
import { canonicalJson } from '../core/canonical.js';
import { parsePlanJson, type PlanFormat, renderJson, renderPlan } from '../plan/render/index.js';
import { runVerify } from './check.js';
import type { Session } from '../runtime/session.js';

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  color: boolean;
}

export interface PlanFlags {
  format: PlanFormat;
  out?: string;
  detailedExitcode: boolean;
  targets: string[];
}

/** `plan`: 0 no changes (or changes without --detailed-exitcode), 2 changes with it. Errors throw (exit 1). */
export async function runPlan(desired: DesiredState, flags: PlanFlags, session: Session, out: Output): Promise<number> {
  await session.client.seedFromApi();
  const { plan } = await planFor(session.deps, desired, { targets: flags.targets });
  out.stdout(renderPlan(plan.document, flags.format, { color: out.color }));
  if (flags.out) writeFileSync(flags.out, renderJson(plan.document), { mode: 0o600 });
  return flags.detailedExitcode && plan.document.changes.length > 0 ? 2 : 0;
}

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
export async function runApply(desired: DesiredState, flags: ApplyFlags, session: Session, out: Output): Promise<number> {
  await session.client.seedFromApi();
  const { plan } = await planFor(session.deps, desired, { targets: flags.targets });
  if (flags.planFile) checkSavedPlan(flags.planFile, plan.document);
  const doc = plan.document;
  out.stdout(renderPlan(doc, 'text', { color: out.color, dryRun: flags.dryRun && doc.changes.length > 0 }));
  if (flags.dryRun) return 0;
  checkDeleteGuard(plan, desired, flags.allowDeletes);
  // Even with nothing to change this runs: it records the declared users in the inventory (pruning by inventory).
  const { result, notConverged } = await applyPlan(session.deps, plan, desired);
  if (doc.changes.length === 0) return 0;
  const appliedSet = new Set(result.applied);
  const byAction = (a: string) => doc.changes.filter((c) => c.action === a && appliedSet.has(c.address)).length;
  const lines = [`Apply ${result.failed.length || notConverged.length ? 'finished with errors' : 'complete'}: ${byAction('create')} created, ${byAction('update')} updated, ${byAction('delete')} deleted.`];
  for (const f of result.failed) lines.push(`  failed  ${f.address} (${f.action}): ${f.error}`);
  for (const s of result.skipped) lines.push(`  skipped ${s.address}: ${s.reason}`);
  for (const a of notConverged) lines.push(`  not converged ${a}: still differs from the file after apply (read back)`);
  out.stdout(`${lines.join('\n')}\n`);
  const code = result.failed.length || result.skipped.length || notConverged.length ? 1 : 0;
  if (!flags.verify) return code;
  const applied = doc.changes.filter((c) => appliedSet.has(c.address));
  return Math.max(code, await runVerify(desired, applied, session.deps.api, out));
}

/** A saved plan applies only while the live state and the planned changes are exactly what was reviewed. */
function checkSavedPlan(file: string, current: PlanDocument): void {
  let saved: PlanDocument;
  try {
    saved = parsePlanJson(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GuardError(`cannot use the saved plan ${file}: ${(err as Error).message}`);
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
