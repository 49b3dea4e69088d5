import type { Logger } from 'pino';
import type { ChangeOutcome } from '../apply/execute.js';
import type { Change, DesiredState, PlanDocument } from '../core/model.js';
import { errorMessage, UsageError } from '../core/errors.js';
import { redactError, sensitiveValues } from '../core/secrets.js';
import { exportDocument, exportSections } from '../commands/export.js';
import { secretFieldsOf } from '../kinds/registry.js';
import { DEFAULT_RATE_SHARE } from '../live/pacer.js';
import type { EngineDeps } from '../runtime/engine.js';
import { planFor } from '../runtime/engine.js';
import { parsePlanJson } from '../plan/render/index.js';
import { lockStateFile } from '../runtime/lock.js';
import { checkStatePath } from '../runtime/state-path.js';
import { reconcileOnce } from '../runtime/reconcile.js';
import { reviewSavedPlan } from '../runtime/saved-plan.js';
import { stoppableApi } from '../runtime/stopping.js';
import { type Client, sessionOf, whole } from './client.js';
import { StateFile, stateFor } from './state.js';

export interface PlanOptions {
  client: Client;
  /** Default: a new `StateFile.inMemory()`. */
  state?: StateFile;
  /** Restrict to these addresses (and what they depend on); `*` matches any characters. Like `--target`. */
  targets?: readonly string[];
  /** Once aborted, no new request starts; the call rejects with a StoppedError. */
  signal?: AbortSignal;
}

/**
 * What `apply` would do: reads the app, checks references, quotas and the app-name guard, and returns the plan
 * document (the versioned format `plan --format json` prints). Writes nothing. Throws a ConfigError for every
 * problem the app shows in the file (located), a GuardError when `app.expect_name` names another app.
 */
export async function plan(desired: DesiredState, opts: PlanOptions): Promise<PlanDocument> {
  const state = checkCommon(opts);
  return redacted(desired, async () => {
    const deps = depsFor(desired, opts, state);
    await sessionOf(opts.client).session.client.seedFromApi();
    const { plan: made } = await planFor(deps, desired, { targets: opts.targets });
    return made.document;
  });
}

export interface ApplyOptions extends PlanOptions {
  /**
   * A plan made earlier (by `plan`, or read with `parsePlanJson` from `plan --out`): only its changes are
   * executed, and only while the app and the file still produce them; otherwise a GuardError and nothing written.
   */
  plan?: PlanDocument;
  /** Raises `policy.max_deletes` for this call, like `--allow-deletes N`. */
  allowDeletes?: number;
  /** Plan only: the result's `plan` is what would be applied. */
  dryRun?: boolean;
  /** How long to wait for another stream-sync's lock on a file state (ms). Default 0: refused at once. */
  lockTimeoutMs?: number;
  /** Each change as it ends. */
  onChange?(change: Change, outcome: ChangeOutcome, detail?: string): void;
}

export interface ApplyResult {
  /** What was planned (with `plan`: the saved plan's changes as made now). */
  plan: PlanDocument;
  /** Addresses applied. */
  applied: string[];
  failed: { address: string; action: string; error: string }[];
  /** Not attempted: a change they depend on failed. */
  skipped: { address: string; reason: string }[];
  /** Not started, or cut short between requests, because `signal` aborted. */
  interrupted: { address: string; action: string }[];
  /** Applied, but still differing from the file when read back. */
  notConverged: string[];
  /** With `plan`: changes the file now also produces that the saved plan lacks (not applied: not reviewed). */
  unreviewed: string[];
  /** Every planned change applied and read back equal. */
  ok: boolean;
}

/**
 * Plans (or re-checks a saved plan), checks the guards (`policy.max_deletes`, protected objects), executes the
 * changes in dependency order, records the state, and reads back what it wrote. A change that fails is reported
 * in the result, not thrown; what fails the whole call (a refused identity, a guard, a bad file) throws before any
 * write. With a state file on disk, its lock is held throughout.
 */
export async function apply(desired: DesiredState, opts: ApplyOptions): Promise<ApplyResult> {
  // Every setting checked before anything is touched: the state file's directory, its lock, the app.
  const state = checkCommon(opts);
  const allowDeletes = opts.allowDeletes === undefined ? undefined : whole('allowDeletes', opts.allowDeletes, 0);
  const lockTimeoutMs = whole('lockTimeoutMs', opts.lockTimeoutMs ?? 0, 0);
  if (opts.dryRun !== undefined && typeof opts.dryRun !== 'boolean') throw new UsageError('dryRun must be true or false');
  if (opts.onChange !== undefined && typeof opts.onChange !== 'function') throw new UsageError('onChange must be a function');
  // A saved plan is checked as `apply --plan` checks its file: a stream-sync plan document of this format.
  let saved: PlanDocument | undefined;
  try {
    saved = opts.plan === undefined ? undefined : parsePlanJson(JSON.stringify(opts.plan));
  } catch (err) {
    throw new UsageError(`plan: ${errorMessage(err)} (give the document plan() returned, or parsePlanJson's)`);
  }
  const onChange = opts.onChange && callbackSafely(opts.onChange, sessionOf(opts.client).logger);
  return redacted(desired, async () => {
    const statePath = state.path;
    const writes = statePath !== undefined && !opts.dryRun;
    // A state file that cannot be written fails the call before the first request, as `apply` does.
    if (writes) checkStatePath(statePath, { dryRun: false, remedy: 'give StateFile.open a path on a writable volume' });
    const release = writes ? await lockStateFile(statePath, { timeoutMs: lockTimeoutMs, signal: opts.signal, timeoutSetting: { name: 'lockTimeoutMs', example: 'lockTimeoutMs: 300_000' } }) : () => {};
    try {
      // Read once the lock is held: read before, another writer's update in between would be overwritten.
      const deps = depsFor(desired, opts, state);
      let unreviewed: string[] = [];
      // What onChange is given: the plan document's change, its sensitive values masked (never the file's values).
      let shown = new Map<string, Change>();
      const { plan: made, applied } = await reconcileOnce({ ...deps, client: sessionOf(opts.client).session.client }, desired, {
        targets: opts.targets,
        dryRun: Boolean(opts.dryRun),
        allowDeletes,
        allowDeletesSetting: 'allowDeletes:',
        review: saved
          ? (m) => {
              const checked = reviewSavedPlan(saved, 'given', m);
              unreviewed = checked.extra.map((c) => c.address);
              return checked.plan;
            }
          : undefined,
        onPlan: (p) => {
          shown = new Map(p.document.changes.map((c) => [c.address, c]));
        },
        onChange: onChange && ((change, outcome, detail) => onChange(shown.get(change.address) ?? { address: change.address, kind: change.kind, action: change.action, fields: [] }, outcome, detail)),
      });
      const result = applied?.result ?? { applied: [], failed: [], skipped: [], interrupted: [] };
      const notConverged = applied?.notConverged ?? [];
      const ok = result.failed.length + result.skipped.length + result.interrupted.length + notConverged.length === 0;
      return { plan: made.document, ...result, notConverged, unreviewed, ok };
    } finally {
      release();
    }
  });
}

export interface ExportOptions {
  client: Client;
  /** The sections to export (e.g. `['roles', 'block_lists']`). Default: those `stream-sync export` writes. */
  kinds?: readonly string[];
  signal?: AbortSignal;
}

/**
 * The app's live configuration as a desired-state YAML file, as `stream-sync export` writes it: built-ins left
 * out, secrets the API never returns as `${env:…}` placeholders, users never listed.
 */
export async function exportConfig(opts: ExportOptions): Promise<string> {
  checkCommon(opts);
  const sections = exportSections(opts.kinds, 'kinds');
  const { session } = sessionOf(opts.client);
  const api = opts.signal ? stoppableApi(session.client, opts.signal) : session.client;
  await session.client.seedFromApi();
  return exportDocument(api, { base_url: session.conn.baseUrl, api_key: session.conn.apiKey }, { sections });
}

/** What the engine needs for one call: the client's connection, this call's state and signal. */
function depsFor(desired: DesiredState, opts: PlanOptions, handle: StateFile): EngineDeps {
  const { session, rateShareSet } = sessionOf(opts.client);
  // createClient's rateShare wins over the file's, as --rate-share does.
  if (!rateShareSet) session.client.setRateShare(desired.policy.rate_share ?? DEFAULT_RATE_SHARE);
  const state = stateFor(handle, session.conn.apiKey, session.conn.apiSecret);
  const base = session.depsWith(state);
  return opts.signal ? { ...base, api: stoppableApi(session.client, opts.signal), signal: opts.signal } : base;
}

/** What every call takes, checked before anything is touched; returns the call's state. */
function checkCommon(opts: { client: Client; targets?: readonly string[]; signal?: AbortSignal; state?: StateFile }): StateFile {
  sessionOf(opts.client);
  if (opts.targets !== undefined && !(Array.isArray(opts.targets) && opts.targets.every((t) => typeof t === 'string'))) throw new UsageError('targets must be an array of addresses (e.g. ["role/support-agent", "blocklist/*"])');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new UsageError('signal must be an AbortSignal');
  return stateOf(opts);
}

/**
 * The caller's onChange, kept from breaking the apply: an error it throws is logged and ignored, so that the
 * changes still run, their outcomes are still recorded and the state file is still saved.
 */
function callbackSafely(fn: NonNullable<ApplyOptions['onChange']>, logger: Pick<Logger, 'warn'>): NonNullable<ApplyOptions['onChange']> {
  return (change, outcome, detail) => {
    try {
      fn(change, outcome, detail);
    } catch (err) {
      logger.warn({ address: change.address, err: errorMessage(err) }, 'onChange threw; the apply goes on');
    }
  };
}

/** The call's state: a StateFile (not a path: `StateFile.open(path)`), by default a new one in memory. */
function stateOf(opts: { state?: StateFile }): StateFile {
  if (opts.state === undefined) return StateFile.inMemory();
  if (!(opts.state instanceof StateFile)) throw new UsageError(`state must be a StateFile (StateFile.open(path) or StateFile.inMemory()), not ${typeof opts.state === 'string' ? `the string "${opts.state}"` : typeof opts.state}`);
  return opts.state;
}

/** Whatever an error quotes of the file's secrets is hidden, as the CLI hides it. */
async function redacted<T>(desired: DesiredState, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw redactError(err, sensitiveValues(desired.objects.values(), secretFieldsOf));
  }
}

