import { describe, expect, it } from 'vitest';
import type { Api, ApiRequest } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import type { DesiredObject, DesiredState } from '../core/model.js';
import { failedAddresses, NOT_CREATED, plannedChecks, runChecks, selectChecks, skipNotCreated } from './checks.js';

const SECRET = 'LEAK"me-5e2a90f1';

function desiredWith(objects: DesiredObject[], checkUser?: string): DesiredState {
  return {
    managedKinds: new Set(objects.map((o) => o.kind)),
    objects: new Map(objects.map((o) => [o.address, o])),
    policy: { prune: [], protect: [], ignore: [], ignore_fields: {}, ...(checkUser ? { check_user_id: checkUser } : {}) },
    files: ['stream.yaml'],
  };
}

const app = (settings: Record<string, unknown>, sensitive: string[] = []): DesiredObject => ({ kind: 'app', address: 'app', fields: { settings }, sensitive });

/** An API that refuses every request with an error quoting the request's body, the way `quote` puts it. */
const echoing = (quote: (body: string) => string): Api => ({
  send<T>(req: ApiRequest): Promise<T> {
    return Promise.reject(new ApiError(req.op, 400, 4, quote(JSON.stringify(req.body))));
  },
});

describe('live checks never print a secret the API quotes back', () => {
  const desired = desiredWith([app({ sqs_url: 'https://sqs.example/q', sqs_key: 'AKIAEXAMPLE', sqs_secret: SECRET })]);
  const cases: [string, (body: string) => string][] = [
    ['as JSON (its quote escaped)', (body) => `invalid request ${body}`],
    ['inside a JSON error envelope (escaped twice)', (body) => JSON.stringify({ message: `invalid request ${body}` })],
    ['cut short at the end of the message', (body) => `invalid request ${body.slice(0, body.indexOf('5e2a') + 4)}`],
    ['as written', () => `the secret ${SECRET} is wrong`],
  ];
  for (const [how, quote] of cases) {
    it(`hides it ${how}`, async () => {
      const [result] = await runChecks(echoing(quote), plannedChecks(desired), desired);
      expect(result).toMatchObject({ status: 'FAIL', name: 'CheckSQS app' });
      expect(result!.reason).toContain('(sensitive value)');
      expect(result!.reason).not.toMatch(/LEAK|5e2a/);
    });
  }

  it('hides a substituted value the same way, while other text stays readable', async () => {
    const subst = desiredWith([app({ sns_topic_arn: 'arn:aws:sns:us-east-1:1:topic', sns_key: 'from-env-8c1d' }, ['/settings/sns_key'])]);
    const [result] = await runChecks(echoing((body) => `bad ${body}`), plannedChecks(subst), subst);
    expect(result!.reason).toContain('arn:aws:sns:us-east-1:1:topic');
    expect(result!.reason).not.toContain('from-env-8c1d');
  });
});

describe('which checks run', () => {
  const provider: DesiredObject = { kind: 'push_provider', address: 'push_provider/firebase/fcm', fields: { type: 'firebase', name: 'fcm' }, sensitive: [] };
  const storage: DesiredObject = { kind: 'external_storage', address: 'external_storage/rec', fields: { name: 'rec' }, sensitive: [] };

  it('comes from the kinds, by address, with a reason for each one that cannot run', () => {
    const checks = plannedChecks(desiredWith([provider, storage, app({ sqs_url: 'u' })]));
    expect(checks.map((c) => [c.name, c.skip])).toEqual([
      ['CheckSQS app', undefined],
      ['CheckExternalStorage external_storage/rec', undefined],
      ['CheckPush push_provider/firebase/fcm', 'policy.check_user_id is not set (the user CheckPush renders templates for)'],
    ]);
  });

  it('keeps for apply --verify only those an applied create or update touched', () => {
    const checks = plannedChecks(desiredWith([provider, storage], 'checker'));
    const touched = selectChecks(checks, { applied: [{ address: 'external_storage/rec', action: 'update', fields: [] }] });
    expect(touched.map((c) => c.name)).toEqual(['CheckExternalStorage external_storage/rec']);
    expect(selectChecks(checks, { targets: ['push_provider/*'] }).map((c) => c.name)).toEqual(['CheckPush push_provider/firebase/fcm (message.new)']);
  });
});

describe('checks of objects the app does not have yet', () => {
  const storage = (name: string): DesiredObject => ({ kind: 'external_storage', address: `external_storage/${name}`, fields: { name }, sensitive: [] });

  it('are skipped as not created yet, while a failure of an existing object stays a failure', () => {
    const checks = plannedChecks(desiredWith([storage('old'), storage('new')]));
    const results = [
      { status: 'FAIL' as const, name: 'CheckExternalStorage external_storage/new', reason: 'not found' },
      { status: 'FAIL' as const, name: 'CheckExternalStorage external_storage/old', reason: 'access denied' },
    ];
    expect(failedAddresses(results, checks)).toEqual(['external_storage/new', 'external_storage/old']);
    expect(skipNotCreated(results, checks, new Set(['external_storage/old']))).toEqual([
      { status: 'SKIP', name: 'CheckExternalStorage external_storage/new', reason: NOT_CREATED },
      { status: 'FAIL', name: 'CheckExternalStorage external_storage/old', reason: 'access denied' },
    ]);
  });
});
