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
