/**
 * stream-sync as a library: `import { loadDesired, plan, apply, renderPlan, createClient } from 'stream-sync'`.
 *
 * This file is the whole stable surface (semver: a breaking change to anything exported here is a major release);
 * nothing else of the package is importable. The emulator is its own entry point, `stream-sync/emulator`.
 * Documented in docs/library.md.
 */

// Files → desired state (offline): throws a ConfigError listing every problem, each at file:line:col.
export { loadDesired, type LoadOptions, type LoadedDesired as DesiredState } from './desired/load.js';

// A connection to one app, and the calls that use it.
export { createClient, type Client, type ClientOptions } from './library/client.js';
export { apply, type ApplyOptions, type ApplyResult, exportConfig, type ExportOptions, plan, type PlanOptions } from './library/reconcile.js';
export { StateFile } from './library/state.js';

// The plan document (`plan --format json`, `plan --out`) and its renderings.
export { parsePlanJson, renderPlan, FORMAT_VERSION, type PlanFormat, type RenderOptions } from './plan/render/index.js';
export type { Action, Change, DesiredObject, FieldChange, FieldOrigin, PlanDocument, PlanWarning, Policy, SourceLocation } from './core/model.js';
export type { ChangeOutcome } from './apply/execute.js';

// Every error the calls throw, to tell them apart with instanceof.
export { ApiError, ConfigError, type ConfigIssue, DeadlineError, formatIssue, GuardError, StoppedError, TransportError, UsageError } from './core/errors.js';

export { VERSION } from './core/version.js';
