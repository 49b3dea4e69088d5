/**
 * Errors the emulator answers with. Every error leaves the server as Stream's `APIError` envelope:
 * `{code, message: '<OperationId> failed with error: "<detail>"', StatusCode, duration, more_info, details}`.
 */
export class StreamApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly detail: string,
    readonly exceptionFields?: Record<string, string>,
    readonly unrecoverable?: boolean,
  ) {
    super(detail);
    this.name = 'StreamApiError';
  }
}

/** 400/4: the request is invalid (also used for duplicates: the API documents no 409). */
export const inputError = (detail: string, exceptionFields?: Record<string, string>) =>
  new StreamApiError(400, 4, detail, exceptionFields);

/** 404/16: the object does not exist. */
export const notFound = (detail: string) => new StreamApiError(404, 16, detail);

/** 403/17: the caller may not do this (built-ins, user tokens on server-side endpoints). */
export const notAllowed = (detail: string) => new StreamApiError(403, 17, detail);

export const MORE_INFO = 'https://getstream.io/chat/docs/api_errors_response';

export function errorBody(op: string, err: StreamApiError, duration: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    code: err.code,
    message: `${op} failed with error: "${err.detail}"`,
    StatusCode: err.status,
    duration,
    more_info: MORE_INFO,
    details: [],
  };
  if (err.exceptionFields && Object.keys(err.exceptionFields).length > 0) body.exception_fields = err.exceptionFields;
  if (err.unrecoverable !== undefined) body.unrecoverable = err.unrecoverable;
  return body;
}

/** `value`, or 404/16 with `detail` when it does not exist: the lookup every path parameter goes through. */
export function orNotFound<T>(value: T | null | undefined, detail: string): T {
  if (value === undefined || value === null) throw notFound(detail);
  return value;
}
