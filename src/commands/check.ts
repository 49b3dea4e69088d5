import type { DesiredState } from '../core/model.js';
import { fetchLive } from '../live/fetch.js';
import { failedAddresses, plannedChecks, renderResults, runChecks, selectChecks, skipNotCreated } from '../runtime/checks.js';
import type { Session } from '../runtime/session.js';
import type { Output } from './output.js';

/**
 * `check`: the live checks Stream offers for what the file declares; 0 when every check that ran passed, 1 when any
 * failed. A check that failed on an object the app does not have yet is skipped ("not created yet: run apply
 * first"): the app is read only then, for the kinds of those objects.
 */
export async function runCheck(desired: DesiredState, flags: { targets: string[] }, session: Pick<Session, 'deps' | 'client'>, out: Output): Promise<number> {
  const checks = selectChecks(plannedChecks(desired), { targets: flags.targets });
  if (checks.length === 0) {
    out.stdout('No live check applies to what the file declares (push providers, SNS/SQS settings, external storages, the importer storage, SIP inbound routing rules).');
    return 0;
  }
  let results = await runChecks(session.deps.api, checks, desired);
  const failed = failedAddresses(results, checks).map((a) => desired.objects.get(a)).filter((o) => o !== undefined);
  if (failed.length) {
    const scope: DesiredState = { ...desired, managedKinds: new Set(failed.map((o) => o.kind)), objects: new Map(failed.map((o) => [o.address, o])) };
    const live = await fetchLive(session.deps.api, scope, { complete: false });
    results = skipNotCreated(results, checks, new Set(live.objects.keys()));
  }
  out.stdout(renderResults(results));
  return results.some((r) => r.status === 'FAIL') ? 1 : 0;
}
