import { ApiError } from '../core/errors.js';
import { kindSpec } from '../kinds/registry.js';
import type { Api, ApiRequest } from '../core/api.js';
import type { Change, DesiredObject, DesiredState, Rec } from '../core/model.js';
import { SENSITIVE } from '../plan/diff.js';
import { matchesGlob, overlaps, patternOverlaps, toPointer } from '../core/pointer.js';
import type { Output } from './plan.js';
import type { Session } from '../runtime/session.js';

/**
 * `stream-sync check` and `apply --verify`: the live checks Stream offers, for what the file declares.
 *
 * - CheckPush, per declared push provider and per event type of its declared, enabled templates that CheckPush
 *   knows (message.new when none), with `skip_devices` (the provider and its templates are checked, not the
 *   user's devices) and `user_id: policy.check_user_id`, the user it renders for. Without check_user_id, or for a
 *   provider declared disabled, the check is skipped with a line that says why (a skip is not a failure).
 * - CheckSNS / CheckSQS when the app settings declare SNS / SQS: the declared topic/queue and keys are sent
 *   (what the file says is checked, even before apply); what the file leaves out, Stream takes from the app.
 * - CheckExternalStorage per declared external storage, ValidateImporterExternalStorage when it is declared:
 *   these check the app's live configuration of that name.
 *
 * `apply --verify` runs the checks whose object an applied create or update touched. Reasons never show a
 * secret or a substituted value: they are replaced with `(sensitive value)` wherever the API's message repeats one.
 */

/** The event types CheckPush accepts (the spec's enum). */
const CHECK_PUSH_EVENTS = ['message.new', 'message.updated', 'reaction.new', 'reaction.updated', 'notification.reminder_due'];

export interface LiveCheck {
  /** As printed: the operation, the address, and what of it (`CheckPush push_provider/firebase/acme-fcm (message.new)`). */
  name: string;
  address: string;
  request: ApiRequest;
  /** Why the answer is a failure; undefined for a pass. */
  verdict(res: Rec): string | undefined;
  /** Whether an applied change touches what this check checks. */
  touchedBy(change: Pick<Change, 'address' | 'action' | 'fields'>): boolean;
}

export interface CheckResult {
  status: 'PASS' | 'FAIL' | 'SKIP';
  name: string;
  reason?: string;
}

export interface CheckPlan {
  checks: LiveCheck[];
  /** Checks that cannot run, each with its reason. */
  skipped: (CheckResult & { address: string; touchedBy: LiveCheck['touchedBy'] })[];
}

const upsertOf = (address: string) => (c: Pick<Change, 'address' | 'action'>) => c.action !== 'delete' && c.address === address;

function pushChecks(desired: DesiredState, provider: DesiredObject, plan: CheckPlan): void {
  const { type, name } = provider.fields as { type: string; name: string };
  const templates = [...desired.objects.values()].filter((o) => o.kind === 'push_template' && o.fields.push_provider_type === type && o.fields.push_provider_name === name);
  const disabled = new Set(templates.filter((t) => t.fields.enable_push === false).map((t) => String(t.fields.event_type)));
  const declaredEvents = templates.map((t) => String(t.fields.event_type)).filter((e) => CHECK_PUSH_EVENTS.includes(e) && !disabled.has(e));
  // No template CheckPush can render: the provider alone, with the first event type not declared disabled.
  const events = declaredEvents.length ? declaredEvents : CHECK_PUSH_EVENTS.filter((e) => !disabled.has(e)).slice(0, 1);
  const touches = (event: string) => (c: Pick<Change, 'address' | 'action'>) =>
    upsertOf(provider.address)(c) || upsertOf(`push_template/${type}/${name}/${event}`)(c);
  const userId = desired.policy.check_user_id;
  const skipReason =
    provider.fields.disabled_at !== undefined
      ? 'the provider is declared disabled (disabled_at)'
      : !userId
        ? 'policy.check_user_id is not set (the user CheckPush renders templates for)'
        : events.length === 0
          ? 'every event type CheckPush knows is declared with enable_push: false'
          : undefined;
  if (skipReason) {
    plan.skipped.push({ status: 'SKIP', name: `CheckPush ${provider.address}`, reason: skipReason, address: provider.address, touchedBy: (c) => upsertOf(provider.address)(c) || events.some((e) => touches(e)(c)) });
    return;
  }
  for (const event of events) {
    plan.checks.push({
      name: `CheckPush ${provider.address} (${event})`,
      address: provider.address,
      request: {
        op: 'CheckPush',
        method: 'POST',
        path: '/api/v2/check_push',
        body: { push_provider_type: type, push_provider_name: name, event_type: event, skip_devices: true, user_id: userId },
        idempotent: true,
      },
      verdict: (res) => {
        const problems = [...((res.general_errors as string[] | undefined) ?? [])];
        for (const [device, info] of Object.entries((res.device_errors as Record<string, Rec> | undefined) ?? {})) problems.push(`device ${device}: ${String(info.error_message ?? 'failed')}`);
        return problems.length ? problems.join('; ') : undefined;
      },
      touchedBy: touches(event),
    });
  }
}

function awsCheck(app: DesiredObject, kind: 'sns' | 'sqs', plan: CheckPlan): void {
  const settings = (app.fields.settings ?? {}) as Rec;
  const fields = kind === 'sns' ? ['sns_topic_arn', 'sns_key', 'sns_secret'] : ['sqs_url', 'sqs_key', 'sqs_secret'];
  const declared = fields.filter((f) => settings[f] !== undefined);
  if (declared.length === 0) return;
  const op = kind === 'sns' ? 'CheckSNS' : 'CheckSQS';
  plan.checks.push({
    name: `${op} app`,
    address: 'app',
    request: { op, method: 'POST', path: `/api/v2/check_${kind}`, body: Object.fromEntries(declared.map((f) => [f, settings[f]])), idempotent: true },
    verdict: (res) => (res.status === 'ok' ? undefined : String(res.error || `status ${String(res.status ?? 'unknown')}`)),
    touchedBy: (c) => c.action !== 'delete' && c.address === 'app' && (c.fields ?? []).some((f) => f.path.startsWith(`/settings/${kind}_`)),
  });
}

/** The checks for what the file declares, in a stable order (the file's kinds, then addresses). */
export function plannedChecks(desired: DesiredState): CheckPlan {
  const plan: CheckPlan = { checks: [], skipped: [] };
  const objects = [...desired.objects.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const app = desired.objects.get('app');
  if (app) {
    awsCheck(app, 'sns', plan);
    awsCheck(app, 'sqs', plan);
  }
  for (const o of objects) {
    if (o.kind === 'push_provider') pushChecks(desired, o, plan);
    if (o.kind === 'external_storage') {
      const name = String(o.fields.name);
      plan.checks.push({
        name: `CheckExternalStorage ${o.address}`,
        address: o.address,
        request: { op: 'CheckExternalStorage', method: 'GET', path: '/api/v2/external_storage/{name}/check', params: { name }, idempotent: true },
        // A failed check is an error answer; an answer is a pass.
        verdict: () => undefined,
        touchedBy: upsertOf(o.address),
      });
    }
    if (o.kind === 'importer_external_storage') {
      plan.checks.push({
        name: `ValidateImporterExternalStorage ${o.address}`,
        address: o.address,
        request: { op: 'ValidateImporterExternalStorage', method: 'POST', path: '/api/v2/imports/v2/external-storage/validate', idempotent: true },
        verdict: () => undefined,
        touchedBy: upsertOf(o.address),
      });
    }
  }
  return plan;
}

/** Only the checks (and skips) for these addresses, or those an applied change touches. */
export function selectChecks(plan: CheckPlan, by: { targets?: readonly string[]; applied?: readonly Pick<Change, 'address' | 'action' | 'fields'>[] }): CheckPlan {
  const keep = (c: { address: string; touchedBy: LiveCheck['touchedBy'] }) =>
    (!by.targets?.length || matchesGlob(by.targets, c.address)) && (!by.applied || by.applied.some((change) => c.touchedBy(change)));
  return { checks: plan.checks.filter(keep), skipped: plan.skipped.filter(keep) };
}

/** Every string the file holds at a secret field or as a substituted value: never printed. */
export function sensitiveStrings(desired: DesiredState): string[] {
  const out = new Set<string>();
  for (const obj of desired.objects.values()) {
    const secretPatterns = kindSpec(obj.kind).secretFields;
    const walk = (v: unknown, segs: (string | number)[]) => {
      if (typeof v === 'string') {
        const p = toPointer(segs);
        if (obj.sensitive.some((s) => overlaps(s, p)) || secretPatterns.some((s) => patternOverlaps(s, p))) {
          out.add(v);
          // A key file (a service account JSON) can be quoted in part: its values are hidden one by one too.
          for (const inner of jsonStrings(v)) out.add(inner);
        }
      } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...segs, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...segs, k]);
    };
    walk(obj.fields, []);
  }
  // Very short values would blank out ordinary words; no real credential is that short.
  return [...out].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** The string values inside `text` when it is a JSON document; none otherwise. */
function jsonStrings(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(doc);
  return out;
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join(SENSITIVE);
  return out;
}

/** Runs the checks (the client paces them) and returns one result per check and skip, in plan order. */
export async function runChecks(api: Api, plan: CheckPlan, secrets: readonly string[]): Promise<CheckResult[]> {
  const results = await Promise.all(
    plan.checks.map(async (check): Promise<CheckResult> => {
      try {
        const reason = check.verdict(await api.send<Rec>(check.request));
        return reason === undefined ? { status: 'PASS', name: check.name } : { status: 'FAIL', name: check.name, reason: redact(reason, secrets) };
      } catch (err) {
        const reason = err instanceof ApiError ? err.detail : err instanceof Error ? err.message : String(err);
        return { status: 'FAIL', name: check.name, reason: redact(reason, secrets) };
      }
    }),
  );
  return [...results, ...plan.skipped.map(({ status, name, reason }) => ({ status, name, reason }))];
}

export function renderResults(results: readonly CheckResult[], label = 'Checks'): string {
  const lines = results.map((r) => `${r.status} ${r.name}${r.reason ? `: ${r.reason}` : ''}`);
  const n = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  lines.push(`${label}: ${n('PASS')} passed, ${n('FAIL')} failed, ${n('SKIP')} skipped.`);
  return `${lines.join('\n')}\n`;
}

/** `check`: 0 when every check that ran passed, 1 when any failed. */
export async function runCheck(desired: DesiredState, flags: { targets: string[] }, session: Session, out: Output): Promise<number> {
  const plan = selectChecks(plannedChecks(desired), { targets: flags.targets });
  if (plan.checks.length === 0 && plan.skipped.length === 0) {
    out.stdout('No live check applies to what the file declares (push providers, SNS/SQS settings, external storages, the importer storage).');
    return 0;
  }
  const results = await runChecks(session.deps.api, plan, sensitiveStrings(desired));
  out.stdout(renderResults(results));
  return results.some((r) => r.status === 'FAIL') ? 1 : 0;
}

/** `apply --verify`: the checks touching what was applied; 1 when any fails. */
export async function runVerify(desired: DesiredState, applied: readonly Pick<Change, 'address' | 'action' | 'fields'>[], api: Api, out: Output): Promise<number> {
  const plan = selectChecks(plannedChecks(desired), { applied });
  if (plan.checks.length === 0 && plan.skipped.length === 0) {
    out.stdout('Verify: no live check covers what was applied.');
    return 0;
  }
  const results = await runChecks(api, plan, sensitiveStrings(desired));
  out.stdout(renderResults(results, 'Verify'));
  return results.some((r) => r.status === 'FAIL') ? 1 : 0;
}
