/** Every error class stream-sync throws, and the questions callers ask of an error. Caught once, at the entry points. */
import type { SourceLocation } from './model.js';

/** One problem in the desired-state files, located where possible. */
export interface ConfigIssue {
  message: string;
  location?: SourceLocation;
}

export const formatLocation = (l: SourceLocation) => `${l.file}:${l.line}:${l.col}`;
export const formatIssue = (i: ConfigIssue) => (i.location ? `${formatLocation(i.location)}: ${i.message}` : i.message);

/** The desired state is unusable (syntax, schema, references, substitution). Terminal: retrying cannot help. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

/** The API answered an error (the `APIError` envelope, or a non-JSON body from an edge layer). */
export class ApiError extends Error {
  constructor(
    readonly op: string,
    readonly status: number,
    /** Stream's error code; -1 when the body was not Stream's envelope. */
    readonly code: number,
    readonly detail: string,
    readonly unrecoverable = false,
    /** A non-idempotent request failed with a 5xx: it may have been applied (the executor re-reads). */
    readonly ambiguous = false,
  ) {
    super(`${op}: HTTP ${status}${code >= 0 ? ` (Stream code ${code})` : ''}: ${detail}`);
    this.name = 'ApiError';
  }
}

/** A safety guard refused the run before any write (`expect_name`, `max_deletes`, a stale saved plan). */
export class GuardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuardError';
  }
}

/** Missing or unusable connection settings (credentials, base URL). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The request got no usable answer: a network error or a timeout. */
export class TransportError extends Error {
  constructor(
    readonly op: string,
    /** The network error code (`ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`, …). */
    readonly code: string,
    detail: string,
    /** The request may have been applied (the rule is in live/errors.ts). */
    readonly ambiguous: boolean,
    options?: ErrorOptions,
  ) {
    super(`${op}: ${detail} (${code})${ambiguous ? '; the request may have been applied' : ''}`, options);
    this.name = 'TransportError';
  }
}

/** The daemon is stopping: no new request starts, no back-off or pacing wait runs to its end. */
export class StoppedError extends Error {
  /** How its message ends, for the callers that pass errors on as text (the kinds' batchers). */
  static readonly SUFFIX = ': stream-sync is stopping';
  constructor(what: string) {
    super(`${what}${StoppedError.SUFFIX}`);
    this.name = 'StoppedError';
  }
}

/** A command or a reconcile ran past its deadline (`--deadline`): stopped as an interrupt stops it. */
export class DeadlineError extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
    /** The deadline as the user wrote it (`30m`). */
    shown: string,
  ) {
    super(`${what} did not finish within its deadline (${shown}, --deadline)`);
    this.name = 'DeadlineError';
  }
}

/** A `${env:…}`/`${file:…}` reference that cannot be resolved (the loader locates it as a ConfigError). */
export class InterpolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterpolationError';
  }
}

/** Whether a failed request may have been applied (a non-idempotent create to re-read, never to re-send). Read by shape: test doubles throw plain objects. */
export const isAmbiguous = (err: unknown): boolean => (err as { ambiguous?: unknown } | null)?.ambiguous === true;

/** The API answered 404: the object does not exist (a GET of an absent object, a delete already done). */
export const isNotFound = (err: unknown): boolean => (err as { status?: unknown } | null)?.status === 404;

/** The message of anything thrown. */
export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
