import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { initialStatus, recordRun } from './status.js';

const readiness = (results: Parameters<typeof recordRun>[1][], threshold?: number) => {
  const status = initialStatus(threshold);
  return results.map((r, i) => {
    recordRun(status, r, i);
    return status.ready;
  });
};

describe('readiness', () => {
  it('is not ready before the first success, whatever else happened', () => {
    expect(readiness(['error', 'refused', 'invalid_config', 'stopped'])).toEqual([false, false, false, false]);
  });

  it('stays ready through fewer than N failures in a row, is not ready at N, and is ready again after a success', () => {
    expect(readiness(['success', 'error', 'error', 'error', 'error', 'success'])).toEqual([true, true, true, false, false, true]);
    expect(readiness(['success', 'error', 'success', 'error', 'error'], 2)).toEqual([true, true, true, true, false]);
  });

  it('does not count a refusal, an invalid file or a stopped run as a failure (nor as a success)', () => {
    const status = initialStatus(2);
    for (const r of ['success', 'error', 'refused', 'invalid_config', 'stopped'] as const) recordRun(status, r, 0);
    expect(status).toMatchObject({ ready: true, consecutiveFailures: 1 });
    recordRun(status, 'error', 0);
    expect(status).toMatchObject({ ready: false, consecutiveFailures: 2 });
  });

  it('takes one failure as enough with a threshold of 1, and refuses a threshold below 1', () => {
    expect(readiness(['success', 'error'], 1)).toEqual([true, false]);
    expect(() => initialStatus(0)).toThrow(UsageError);
  });
});
