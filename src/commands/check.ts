import type { DesiredState } from '../core/model.js';
import { plannedChecks, renderResults, runChecks, selectChecks } from '../runtime/checks.js';
import type { Session } from '../runtime/session.js';
import type { Output } from './output.js';

/** `check`: the live checks Stream offers for what the file declares; 0 when every check that ran passed, 1 when any failed. */
export async function runCheck(desired: DesiredState, flags: { targets: string[] }, session: Pick<Session, 'deps' | 'client'>, out: Output): Promise<number> {
  const checks = selectChecks(plannedChecks(desired), { targets: flags.targets });
  if (checks.length === 0) {
    out.stdout('No live check applies to what the file declares (push providers, SNS/SQS settings, external storages, the importer storage, SIP inbound routing rules).');
    return 0;
  }
  const results = await runChecks(session.deps.api, checks, desired);
  out.stdout(renderResults(results));
  return results.some((r) => r.status === 'FAIL') ? 1 : 0;
}
