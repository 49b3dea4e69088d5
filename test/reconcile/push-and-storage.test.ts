import { describe, expect, it } from 'vitest';
import { runExport } from '../../src/commands/export.js';
import { useEmulator } from '../support/emulator.js';
import { harness } from '../support/reconcile.js';

const FCM = (secret: string) => JSON.stringify({ type: 'service_account', client_email: 'push@acme.iam', private_key: secret });
const GCS = (secret: string) => JSON.stringify({ client_email: 'import@acme.iam', private_key: secret });

const PUSH = `
version: 1
push_providers:
  - type: firebase
    name: acme-fcm
    description: Android app
    firebase_credentials: \${env:FCM_CREDENTIALS}
    templates:
      - event_type: message.new
        enable_push: true
        template: '{"title": "{{ sender.name }}"}'
      - event_type: reaction.new
        enable_push: false
  - type: apn
    name: ios
    apn_auth_key: \${env:APN_KEY}
    apn_key_id: KEY123
    apn_team_id: TEAM123
    apn_topic: com.acme.app
`;

describe('push providers and templates against the emulator', () => {
  const env = useEmulator();
  const vars = { FCM_CREDENTIALS: FCM('sentinel-fcm-secret'), APN_KEY: 'sentinel-apn-key' };

  it('applies providers with their templates, then plans nothing; secrets never show', async () => {
    const h = harness(env.emu);
    const first = await h.apply(PUSH, { env: vars });
    expect(first.result.failed).toEqual([]);
    expect(first.notConverged).toEqual([]);
    expect(first.plan.document.summary).toMatchObject({ create: 4, update: 0, delete: 0 });
    // Providers before their templates.
    expect(first.plan.document.changes.map((c) => c.address)).toEqual([
      'push_provider/apn/ios',
      'push_provider/firebase/acme-fcm',
      'push_template/firebase/acme-fcm/message.new',
      'push_template/firebase/acme-fcm/reaction.new',
    ]);
    const doc = JSON.stringify(first.plan.document);
    expect(doc).not.toContain('sentinel-fcm-secret');
    expect(doc).not.toContain('sentinel-apn-key');
    expect(first.plan.document.changes[1]!.fields).toContainEqual({ path: '/firebase_credentials', before: null, after: '(sensitive value)', sensitive: true });

    const again = await h.plan(PUSH, { env: vars });
    expect(again.plan.document.changes).toEqual([]);
    expect(again.plan.document.warnings).toEqual([]);
    await h.close();
  });

  it('an edit plans exactly its change; an update keeps the credentials it does not send', async () => {
    const h = harness(env.emu);
    await h.apply(PUSH, { env: vars });
    const edited = PUSH.replace('Android app', 'Android').replace('enable_push: false', 'enable_push: true');
    const planned = await h.plan(edited, { env: vars });
    expect(planned.plan.document.changes).toEqual([
      { address: 'push_provider/firebase/acme-fcm', kind: 'push_provider', action: 'update', fields: [{ path: '/description', before: 'Android app', after: 'Android', sensitive: false }] },
      { address: 'push_template/firebase/acme-fcm/reaction.new', kind: 'push_template', action: 'update', fields: [{ path: '/enable_push', before: false, after: true, sensitive: false }] },
    ]);
    const applied = await h.apply(edited, { env: vars });
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    // The credential stayed as it was: the update did not send it.
    expect(env.emu.app().pushProviderSecrets.get('firebase/acme-fcm')).toMatchObject({ firebase_credentials: FCM('sentinel-fcm-secret') });
    expect((await h.plan(edited, { env: vars })).plan.document.changes).toEqual([]);
    await h.close();
  });

  it('a changed secret plans an update with the new value; an unchanged one plans nothing', async () => {
    const h = harness(env.emu);
    await h.apply(PUSH, { env: vars });
    const rotated = { ...vars, APN_KEY: 'sentinel-apn-key-2' };
    const planned = await h.plan(PUSH, { env: rotated });
    expect(planned.plan.document.changes).toEqual([
      { address: 'push_provider/apn/ios', kind: 'push_provider', action: 'update', fields: [{ path: '/apn_auth_key', before: '(sensitive value)', after: '(sensitive value)', sensitive: true }] },
    ]);
    expect(JSON.stringify(planned.plan.document)).not.toContain('sentinel-apn-key');
    await h.apply(PUSH, { env: rotated });
    expect(env.emu.app().pushProviderSecrets.get('apn/ios')).toMatchObject({ apn_auth_key: 'sentinel-apn-key-2' });
    expect((await h.plan(PUSH, { env: rotated })).plan.document.changes).toEqual([]);
    await h.close();
  });

  it('prunes undeclared providers only with push_providers in policy.prune, and warns about undeclared templates of declared providers', async () => {
    const h = harness(env.emu);
    await h.apply(PUSH, { env: vars });
    await env.api.call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: { type: 'firebase', name: 'legacy', firebase_credentials: FCM('x') } } });
    await env.api.call({ method: 'POST', path: '/api/v2/push_templates', body: { push_provider_type: 'firebase', push_provider_name: 'legacy', event_type: 'message.new', template: '{}' } });
    await env.api.call({ method: 'POST', path: '/api/v2/push_templates', body: { push_provider_type: 'apn', push_provider_name: 'ios', event_type: 'message.updated', template: '{}' } });

    const unpruned = await h.plan(PUSH, { env: vars });
    expect(unpruned.plan.document.changes).toEqual([]);
    expect(unpruned.plan.document.warnings).toEqual([]);

    const pruning = `${PUSH}policy:\n  prune: [push_providers]\n`;
    const planned = await h.plan(pruning, { env: vars });
    expect(planned.plan.document.changes).toEqual([{ address: 'push_provider/firebase/legacy', kind: 'push_provider', action: 'delete', fields: [] }]);
    // The legacy provider's template goes with it: no warning for it.
    expect(planned.plan.document.warnings).toEqual([{ address: 'push_template/apn/ios/message.updated', message: 'not declared in the file, and the API cannot delete it: left as is' }]);
    const applied = await h.apply(pruning, { env: vars });
    expect(applied.result.failed).toEqual([]);
    expect([...env.emu.app().pushProviders.keys()].sort()).toEqual(['apn/ios', 'firebase/acme-fcm']);
    await h.close();
  });

  it('compares disabled_at as an instant', async () => {
    const h = harness(env.emu);
    const file = (disabled: string) => `
version: 1
push_providers:
  - type: huawei
    name: hms
    huawei_app_id: app-1
    huawei_app_secret: \${env:HMS_SECRET}
    disabled_at: "${disabled}"
    disabled_reason: migrating
`;
    const hms = { HMS_SECRET: 'sentinel-hms' };
    const first = await h.apply(file('2025-01-31T13:00:00+01:00'), { env: hms });
    expect(first.result.failed).toEqual([]);
    expect(env.emu.app().pushProviders.get('huawei/hms')).toMatchObject({ disabled_at: '2025-01-31T12:00:00.000Z' });
    expect((await h.plan(file('2025-01-31T12:00:00Z'), { env: hms })).plan.document.changes).toEqual([]);
    expect((await h.plan(file('2025-02-01T00:00:00Z'), { env: hms })).plan.document.changes).toEqual([
      { address: 'push_provider/huawei/hms', kind: 'push_provider', action: 'update', fields: [{ path: '/disabled_at', before: '2025-01-31T12:00:00.000Z', after: '2025-02-01T00:00:00.000Z', sensitive: false }] },
    ]);
    await h.close();
  });

  it('reads templates only for the providers the plan needs', async () => {
    const h = harness(env.emu);
    await h.plan(PUSH, { env: vars });
    // One list of providers, and the templates of the one provider that declares templates.
    expect(h.sent.map((r) => r.op).sort()).toEqual(['GetPushTemplates', 'ListPushProviders']);
    await h.close();
  });
});

const STORAGE = `
version: 1
external_storages:
  - name: recordings
    storage_type: s3
    bucket: acme-recordings
    path: calls/
    aws_s3:
      s3_region: us-east-1
      s3_api_key: AKIAEXAMPLE
      s3_secret: \${env:S3_SECRET}
  - name: exports
    storage_type: gcs
    bucket: acme-exports
    gcs_credentials: \${env:GCS_KEY}
importer_external_storage:
  type: aws_s3
  aws_s3: { bucket: acme-imports, region: eu-west-1, role_arn: "arn:aws:iam::123456789012:role/stream-import" }
`;

describe('external storages and the importer storage against the emulator', () => {
  const env = useEmulator();
  const vars = { S3_SECRET: 'sentinel-s3-secret', GCS_KEY: GCS('sentinel-gcs-key') };

  it('applies storages, then plans nothing; secrets never show', async () => {
    const h = harness(env.emu);
    const first = await h.apply(STORAGE, { env: vars });
    expect(first.result.failed).toEqual([]);
    expect(first.notConverged).toEqual([]);
    expect(first.plan.document.summary).toMatchObject({ create: 3, update: 0, delete: 0 });
    const doc = JSON.stringify(first.plan.document);
    expect(doc).not.toContain('sentinel-s3-secret');
    expect(doc).not.toContain('sentinel-gcs-key');
    expect(doc).not.toContain('AKIAEXAMPLE');
    expect(env.emu.app().externalStorages.get('recordings')).toMatchObject({ type: 's3', bucket: 'acme-recordings', path: 'calls/' });
    expect(env.emu.app().importerStorage).toMatchObject({ type: 'aws_s3', aws_s3: { bucket: 'acme-imports' } });

    const again = await h.plan(STORAGE, { env: vars });
    expect(again.plan.document.changes).toEqual([]);
    await h.close();
  });

  it('an edit plans exactly its change and keeps undeclared credentials', async () => {
    const h = harness(env.emu);
    await h.apply(STORAGE, { env: vars });
    const edited = STORAGE.replace('bucket: acme-exports', 'bucket: acme-exports-2').replace('region: eu-west-1', 'region: eu-central-1');
    const planned = await h.plan(edited, { env: vars });
    expect(planned.plan.document.changes).toEqual([
      { address: 'importer_external_storage', kind: 'importer_external_storage', action: 'update', fields: [{ path: '/aws_s3/region', before: 'eu-west-1', after: 'eu-central-1', sensitive: false }] },
      { address: 'external_storage/exports', kind: 'external_storage', action: 'update', fields: [{ path: '/bucket', before: 'acme-exports', after: 'acme-exports-2', sensitive: false }] },
    ]);
    const applied = await h.apply(edited, { env: vars });
    expect(applied.result.failed).toEqual([]);
    expect(applied.notConverged).toEqual([]);
    expect(env.emu.app().externalStorageSecrets.get('exports')).toEqual({ gcs_credentials: GCS('sentinel-gcs-key') });
    expect((await h.plan(edited, { env: vars })).plan.document.changes).toEqual([]);
    await h.close();
  });

  it('a changed secret plans an update of its block; an unchanged one plans nothing', async () => {
    const h = harness(env.emu);
    await h.apply(STORAGE, { env: vars });
    expect((await h.plan(STORAGE, { env: vars })).plan.document.changes).toEqual([]);
    const rotated = { ...vars, S3_SECRET: 'sentinel-s3-secret-2' };
    const planned = await h.plan(STORAGE, { env: rotated });
    expect(planned.plan.document.changes).toEqual([
      { address: 'external_storage/recordings', kind: 'external_storage', action: 'update', fields: [{ path: '/aws_s3/s3_secret', before: '(sensitive value)', after: '(sensitive value)', sensitive: true }] },
    ]);
    await h.apply(STORAGE, { env: rotated });
    // The API replaces the block: it was sent whole.
    expect(env.emu.app().externalStorageSecrets.get('recordings')).toEqual({ aws_s3: { s3_region: 'us-east-1', s3_api_key: 'AKIAEXAMPLE', s3_secret: 'sentinel-s3-secret-2' } });
    await h.close();
  });

  it('prunes only undeclared storages, only with external_storages in policy.prune', async () => {
    const h = harness(env.emu);
    await h.apply(STORAGE, { env: vars });
    await env.api.call({ method: 'POST', path: '/api/v2/external_storage', body: { name: 'stale', storage_type: 's3', bucket: 'old', aws_s3: { s3_region: 'us-east-1' } } });
    expect((await h.plan(STORAGE, { env: vars })).plan.document.changes).toEqual([]);
    const pruning = `${STORAGE}policy:\n  prune: [external_storages]\n`;
    const planned = await h.plan(pruning, { env: vars });
    expect(planned.plan.document.changes).toEqual([{ address: 'external_storage/stale', kind: 'external_storage', action: 'delete', fields: expect.arrayContaining([{ path: '/bucket', before: 'old', after: null, sensitive: false }]) }]);
    const applied = await h.apply(pruning, { env: vars });
    expect(applied.result.failed).toEqual([]);
    expect([...env.emu.app().externalStorages.keys()].sort()).toEqual(['exports', 'recordings']);
    await h.close();
  });

  it('switches the importer storage to gcs with a secret key, and keeps its undeclared path prefix', async () => {
    const h = harness(env.emu);
    const gcs = (extra = '') => `
version: 1
importer_external_storage:
  type: gcs
  gcs:
    bucket: acme-imports
    credentials: \${env:GCS_KEY}${extra}
`;
    const first = await h.apply(gcs('\n    path_prefix: in/'), { env: vars });
    expect(first.result.failed).toEqual([]);
    expect(JSON.stringify(first.plan.document)).not.toContain('sentinel-gcs-key');
    expect(env.emu.app().importerStorage).toMatchObject({ type: 'gcs', gcs: { bucket: 'acme-imports', path_prefix: 'in/', credentials_set: true } });
    // No longer declared: not managed, so kept (the PUT replaces everything, so it is sent as it is live).
    expect((await h.plan(gcs(), { env: vars })).plan.document.changes).toEqual([]);
    const rotated = { ...vars, GCS_KEY: GCS('sentinel-gcs-key-2') };
    const planned = await h.plan(gcs(), { env: rotated });
    expect(planned.plan.document.changes).toEqual([
      { address: 'importer_external_storage', kind: 'importer_external_storage', action: 'update', fields: [{ path: '/gcs/credentials', before: '(sensitive value)', after: '(sensitive value)', sensitive: true }] },
    ]);
    await h.apply(gcs(), { env: rotated });
    expect(env.emu.app().importerStorage).toMatchObject({ gcs: { path_prefix: 'in/' } });
    expect(env.emu.app().importerStorageSecrets).toEqual({ credentials: GCS('sentinel-gcs-key-2') });
    await h.close();
  });

  it('reads a missing importer storage as a create', async () => {
    env.emu.app().importerStorage = null;
    const h = harness(env.emu);
    const planned = await h.plan(STORAGE, { env: vars });
    expect(planned.plan.document.changes.filter((c) => c.kind === 'importer_external_storage').map((c) => c.action)).toEqual(['create']);
    await h.close();
  });
});

describe('export of push providers and storages', () => {
  const env = useEmulator();

  it('writes a file that plans no change when its placeholders hold the applied secrets', async () => {
    const h = harness(env.emu);
    const vars = { FCM_CREDENTIALS: FCM('sentinel-fcm-secret'), APN_KEY: 'sentinel-apn-key', S3_SECRET: 'sentinel-s3-secret', GCS_KEY: GCS('sentinel-gcs-key') };
    const file = `${PUSH}${STORAGE.replace('version: 1\n', '')}`;
    expect((await h.apply(file, { env: vars })).result.failed).toEqual([]);
    let text = '';
    const out = { stdout: (t: string) => (text += t), stderr: () => {}, color: false };
    await runExport({ kinds: ['push_providers', 'external_storages', 'importer_external_storage'] }, { deps: h.deps, client: h.client }, out);
    for (const secret of Object.values(vars)) expect(text).not.toContain(secret);
    expect(text).toContain('firebase_credentials: ${env:STREAM_PUSH_PROVIDER_ACME_FCM_FIREBASE_CREDENTIALS}');
    expect(text).toContain('event_type: message.new');
    const exported = await h.plan(text, {
      env: {
        STREAM_PUSH_PROVIDER_ACME_FCM_FIREBASE_CREDENTIALS: vars.FCM_CREDENTIALS,
        STREAM_PUSH_PROVIDER_IOS_APN_AUTH_KEY: vars.APN_KEY,
        STREAM_EXTERNAL_STORAGE_RECORDINGS_S3_REGION: 'us-east-1',
        STREAM_EXTERNAL_STORAGE_RECORDINGS_S3_API_KEY: 'AKIAEXAMPLE',
        STREAM_EXTERNAL_STORAGE_RECORDINGS_S3_SECRET: vars.S3_SECRET,
        STREAM_EXTERNAL_STORAGE_EXPORTS_GCS_CREDENTIALS: vars.GCS_KEY,
      },
    });
    expect(exported.plan.document.changes).toEqual([]);
    await h.close();
  });
});

describe('external storage credentials, which the API replaces whole', () => {
  const env = useEmulator();

  it('warns in the plan when an update sends aws_s3 without keys, which removes the keys set before', async () => {
    const h = harness(env.emu);
    const file = (s3: string) => `version: 1\nexternal_storages:\n  - name: rec\n    storage_type: s3\n    bucket: b\n    aws_s3: { ${s3} }\n`;
    expect((await h.apply(file('s3_region: us-east-1, s3_api_key: AKIAKEY, s3_secret: topsecret'))).result.failed).toEqual([]);
    const { plan } = await h.plan(file('s3_region: eu-west-1'));
    expect(plan.document.warnings).toEqual([{ address: 'external_storage/rec', message: "aws_s3 is sent whole and declares no s3_api_key/s3_secret: the storage will use Stream's IAM role, and keys set before are removed" }]);
    await h.close();
  });
});
