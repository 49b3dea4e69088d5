import { describe, expect, it } from 'vitest';
import type { Change } from '../core/model.js';
import { classifyDrift } from './drift.js';

const secretUpdate: Change = { address: 'app', kind: 'app', action: 'update', fields: [{ path: '/settings/sqs_secret', before: '[sensitive]', after: '[sensitive]', sensitive: true }] };
const recorded = (entries: Record<string, string>) => ({ applied: (address: string, path: string) => entries[`${address} ${path}`] });

describe('classifyDrift', () => {
  it('calls an update of secrets with no recorded fingerprint unknown, not drift', () => {
    expect(classifyDrift([secretUpdate], recorded({}))).toEqual({ drifted: [], unknown: [secretUpdate] });
  });

  it('calls it drift once a fingerprint is recorded (the file changed since the writer applied it)', () => {
    expect(classifyDrift([secretUpdate], recorded({ 'app /settings/sqs_secret': 'fp' }))).toEqual({ drifted: [secretUpdate], unknown: [] });
  });

  it('calls drift any change with a field that can be compared, and every create and delete', () => {
    const mixed: Change = { ...secretUpdate, fields: [...secretUpdate.fields, { path: '/settings/sqs_url', before: 'a', after: 'b', sensitive: false }] };
    const create: Change = { address: 'sip_trunk/main', kind: 'sip_trunk', action: 'create', fields: [{ path: '/password', before: null, after: '[sensitive]', sensitive: true }] };
    const del: Change = { address: 'role/old', kind: 'role', action: 'delete', fields: [] };
    expect(classifyDrift([mixed, create, del], recorded({})).drifted).toEqual([mixed, create, del]);
  });

  it('treats a write-only field that is not a secret (push preferences) the same way', () => {
    const prefs: Change = { address: 'push_preference/ann', kind: 'push_preference', action: 'update', fields: [{ path: '/chat_level', before: null, after: 'all', sensitive: false }] };
    expect(classifyDrift([prefs], recorded({})).unknown).toEqual([prefs]);
  });
});
