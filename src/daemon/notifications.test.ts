import { describe, expect, it } from 'vitest';
import { briefError, eventsOf } from './notifications.js';
import type { RunRecord } from './reconcile.js';

const run = (over: Partial<RunRecord>): RunRecord => ({ reconcile_id: 'r1', triggers: ['interval'], result: 'success', dryRun: false, drift: [], applied: [], broken: [], planned: [], desiredHash: 'h1', ...over });
const update = { address: 'blocklist/a', action: 'update' as const, fields: ['/words'] };

describe('eventsOf', () => {
  it('reports drift of a dry run, and nothing for a clean one', () => {
    expect(eventsOf(run({ dryRun: true, drift: [update] }), undefined)).toEqual([{ kind: 'drift_found', summary: '1 object differs from the configuration (dry run: nothing applied)', changes: [update], reconcile_id: 'r1' }]);
    expect(eventsOf(run({ dryRun: true }), 'h1')).toEqual([]);
  });

  it('reports drift that policy.report_only leaves alone in a run that applies', () => {
    const events = eventsOf(run({ drift: [update] }), 'h1');
    expect(events).toEqual([{ kind: 'drift_found', summary: '1 object differs from the configuration (changed in the app, reported and not corrected: policy.report_only)', changes: [update], reconcile_id: 'r1' }]);
  });

  it('reports applied changes as corrected drift only when the configuration is the last successful run’s', () => {
    expect(eventsOf(run({ applied: [update] }), 'h1').map((e) => e.kind)).toEqual(['applied_after_drift']);
    // The file changed (another digest), or no run has succeeded yet in this process: the changes are the file's.
    expect(eventsOf(run({ applied: [update] }), 'h0')).toEqual([]);
    expect(eventsOf(run({ applied: [update] }), undefined)).toEqual([]);
    expect(eventsOf(run({}), 'h1')).toEqual([]);
  });

  it('reports a failed run with its broken changes, or its error; a refusal with the planned changes', () => {
    const broken = { ...update, error: 'UpdateBlockList: HTTP 400 (Stream code 4): words: "secret-ish" is invalid' };
    expect(eventsOf(run({ result: 'error', broken: [broken] }), 'h1')).toEqual([
      { kind: 'apply_failed', summary: '1 change failed or did not converge; 0 changes applied', changes: [{ ...update, error: 'UpdateBlockList: HTTP 400 (Stream code 4) (details in the log)' }], reconcile_id: 'r1' },
    ]);
    expect(eventsOf(run({ result: 'error', error: 'GetApp: HTTP 401 (Stream code 5): bad signature' }), 'h1')[0]).toMatchObject({ kind: 'apply_failed', summary: 'the reconcile failed: GetApp: HTTP 401 (Stream code 5): bad signature', changes: [] });
    expect(eventsOf(run({ result: 'refused', error: 'too many deletes', planned: [update] }), 'h1')).toEqual([{ kind: 'guard_refused', summary: 'refused, nothing was applied: too many deletes', changes: [update], reconcile_id: 'r1' }]);
  });

  it('says nothing of a stopped run or an invalid file', () => {
    expect(eventsOf(run({ result: 'stopped', applied: [update] }), 'h1')).toEqual([]);
    expect(eventsOf(run({ result: 'invalid_config' }), 'h1')).toEqual([]);
  });
});

describe('briefError', () => {
  it('keeps an API error’s operation, status and code, and our own reasons', () => {
    expect(briefError('CreateRole: HTTP 400 (Stream code 4): name "x" is invalid')).toBe('CreateRole: HTTP 400 (Stream code 4) (details in the log)');
    expect(briefError('CreateRole: HTTP 502: bad gateway')).toBe('CreateRole: HTTP 502 (details in the log)');
    expect(briefError('skipped: role/a failed')).toBe('skipped: role/a failed');
    expect(briefError(undefined)).toBeUndefined();
  });
});
