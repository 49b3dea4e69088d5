import type { Api } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import type { Change, DesiredState, Rec } from '../core/model.js';
import { matchesGlob } from '../core/pointer.js';
import { redact, sensitiveValues } from '../core/secrets.js';
import { KINDS, kindSpec, secretFieldsOf } from '../kinds/registry.js';
import type { LiveCheck } from '../kinds/types.js';

/**
 * `stream-sync check` and `apply --verify`: the live checks Stream offers for what the file declares, each kind
 * saying which checks its objects have (`checks`). `apply --verify` runs those whose object an applied create or
 * update touched. Reasons never show a secret or a substituted value.
 */

export interface CheckResult {
  status: 'PASS' | 'FAIL' | 'SKIP';
  name: string;
  reason?: string;
}

/** The checks for what the file declares, in a stable order (by address). */
export function plannedChecks(desired: DesiredState): LiveCheck[] {
  const checking = new Set(KINDS.filter((k) => k.checks).map((k) => k.kind));
  return [...desired.objects.values()]
    .filter((o) => checking.has(o.kind))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
    .flatMap((o) => kindSpec(o.kind).checks!(o, desired));
}

/** Only the checks for these addresses, or those an applied change touches. */
export function selectChecks(checks: readonly LiveCheck[], by: { targets?: readonly string[]; applied?: readonly Pick<Change, 'address' | 'action' | 'fields'>[] }): LiveCheck[] {
  return checks.filter((c) => (!by.targets?.length || matchesGlob(by.targets, c.address)) && (!by.applied || by.applied.some((change) => c.touchedBy(change))));
}

/** Runs the checks (the client paces them): one result per check, those that ran first, then the skipped ones. */
export async function runChecks(api: Api, checks: readonly LiveCheck[], desired: DesiredState): Promise<CheckResult[]> {
  const secrets = sensitiveValues(desired.objects.values(), secretFieldsOf);
  const fail = (name: string, reason: string): CheckResult => ({ status: 'FAIL', name, reason: redact(reason, secrets) });
  const ran = await Promise.all(
    checks
      .filter((c) => c.request)
      .map(async (check): Promise<CheckResult> => {
        try {
          const reason = check.verdict?.(await api.send<Rec>(check.request!));
          return reason === undefined ? { status: 'PASS', name: check.name } : fail(check.name, reason);
        } catch (err) {
          return fail(check.name, err instanceof ApiError ? err.detail : errorMessage(err));
        }
      }),
  );
  const skipped = checks.filter((c) => !c.request).map((c): CheckResult => ({ status: 'SKIP', name: c.name, reason: c.skip }));
  return [...ran, ...skipped];
}

export const NOT_CREATED = 'not created yet: run apply first';

/**
 * A failed check whose object the app does not have yet is a skip, not a failure: the check can only pass after
 * `apply` creates it. `live` is the addresses the app has (read only when some check failed, so a passing run
 * makes the checks' requests and nothing else).
 */
export function skipNotCreated(results: readonly CheckResult[], checks: readonly LiveCheck[], live: ReadonlySet<string>): CheckResult[] {
  const addressOf = new Map(checks.map((c) => [c.name, c.address]));
  return results.map((r) => {
    const address = addressOf.get(r.name);
    return r.status === 'FAIL' && address !== undefined && !live.has(address) ? { status: 'SKIP', name: r.name, reason: NOT_CREATED } : r;
  });
}

/** The addresses of the failed checks' objects, to read before `skipNotCreated` decides. */
export function failedAddresses(results: readonly CheckResult[], checks: readonly LiveCheck[]): string[] {
  const failed = new Set(results.filter((r) => r.status === 'FAIL').map((r) => r.name));
  return [...new Set(checks.filter((c) => failed.has(c.name)).map((c) => c.address))];
}

export function renderResults(results: readonly CheckResult[], label = 'Checks'): string {
  const lines = results.map((r) => `${r.status} ${r.name}${r.reason ? `: ${r.reason}` : ''}`);
  const n = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  lines.push(`${label}: ${n('PASS')} passed, ${n('FAIL')} failed, ${n('SKIP')} skipped.`);
  return `${lines.join('\n')}\n`;
}
