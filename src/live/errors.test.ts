import { describe, expect, it } from 'vitest';
import { ApiError, isAmbiguous, TransportError } from '../core/errors.js';
import { toApiError } from './errors.js';

describe('toApiError', () => {
  const envelope = (status: number, code: number, detail: string, extra: object = {}) =>
    JSON.stringify({ code, message: `CreateRole failed with error: "${detail}"`, StatusCode: status, duration: '0.1ms', more_info: '', details: [], ...extra });

  it('reads code, detail and unrecoverable from Stream envelope', () => {
    const err = toApiError({ op: 'CreateRole', idempotent: false }, 400, envelope(400, 4, 'role x already exists', { unrecoverable: true }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ op: 'CreateRole', status: 400, code: 4, detail: 'role x already exists', unrecoverable: true, ambiguous: false });
    expect(err.message).toBe('CreateRole: HTTP 400 (Stream code 4): role x already exists');
  });

  it('turns a non-JSON body into code -1 with a short one-line detail', () => {
    const html = `<html>\n<body>${'bad gateway '.repeat(50)}</body></html>`;
    const err = toApiError({ op: 'GetApp', idempotent: true }, 502, html);
    expect(err.code).toBe(-1);
    expect(err.detail.length).toBeLessThanOrEqual(200);
    expect(err.detail).not.toContain('\n');
    expect(toApiError({ op: 'GetApp', idempotent: true }, 503, '').detail).toBe('the answer has no body');
  });

  it('marks 5xx and 408 of non-idempotent requests ambiguous, and nothing else', () => {
    expect(toApiError({ op: 'CreateRole', idempotent: false }, 503, 'upstream reset').ambiguous).toBe(true);
    expect(toApiError({ op: 'CreateRole', idempotent: false }, 408, envelope(408, 23, 'timeout')).ambiguous).toBe(true);
    expect(toApiError({ op: 'CreateRole', idempotent: false }, 429, envelope(429, 9, 'too many')).ambiguous).toBe(false);
    expect(toApiError({ op: 'UpdateApp', idempotent: true }, 503, 'upstream reset').ambiguous).toBe(false);
  });
});

describe('isAmbiguous', () => {
  it('is true only for errors flagged ambiguous', () => {
    expect(isAmbiguous(new TransportError('CreateRole', 'ECONNRESET', 'closed', true))).toBe(true);
    expect(isAmbiguous(new TransportError('CreateRole', 'ECONNREFUSED', 'refused', false))).toBe(false);
    expect(isAmbiguous(new ApiError('CreateRole', 500, -1, 'x', false, true))).toBe(true);
    expect(isAmbiguous(new Error('x'))).toBe(false);
  });
});
