import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../test/support/spec.js';
import type { DesiredObject, LiveObject, Rec } from '../core/model.js';
import { importerStorageKind, importerStorageLive, importerStorageSchema } from './importer-storage.js';
import type { Api, ApiRequest } from '../core/api.js';

const ARN = 'arn:aws:iam::123456789012:role/stream-import';
const GCS_KEY = JSON.stringify({ client_email: 'x@y.iam', private_key: 'sentinel-key' });
const desired = (fields: Rec): DesiredObject => ({ kind: 'importer_external_storage', address: 'importer_external_storage', fields, sensitive: [] });

describe('importer_external_storage schema', () => {
  const accepted: [string, Rec][] = [
    ['aws_s3', { type: 'aws_s3', aws_s3: { bucket: 'acme-imports', region: 'eu-west-1', role_arn: ARN } }],
    ['aws_s3 with a prefix', { type: 'aws_s3', aws_s3: { bucket: 'b', region: 'r', role_arn: 'arn:aws-cn:iam::123456789012:role/path/name', path_prefix: 'in/' } }],
    ['gcs', { type: 'gcs', gcs: { bucket: 'b', credentials: GCS_KEY } }],
  ];
  it.each(accepted)('accepts %s', (_, value) => expect(importerStorageSchema.safeParse(value).success).toBe(true));

  const rejected: [string, Rec, string][] = [
    ['an unknown type', { type: 's3' }, 'Invalid option'],
    ['a type without its block', { type: 'aws_s3' }, 'type aws_s3 needs its aws_s3 block'],
    ['the other type’s block', { type: 'gcs', gcs: { bucket: 'b', credentials: GCS_KEY }, aws_s3: { bucket: 'b', region: 'r', role_arn: ARN } }, 'aws_s3 cannot be used with type gcs'],
    ['a role ARN that is not one', { type: 'aws_s3', aws_s3: { bucket: 'b', region: 'r', role_arn: 'stream-import' } }, 'role_arn must be an IAM role ARN'],
    ['gcs without credentials', { type: 'gcs', gcs: { bucket: 'b' } }, 'expected string'],
    ['an unknown key', { type: 'aws_s3', aws_s3: { bucket: 'b', region: 'r', role_arn: ARN, external_id: 'x' } }, 'Unrecognized key'],
  ];
  it.each(rejected)('rejects %s', (_, value, message) => {
    const r = importerStorageSchema.safeParse(value);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message).join('\n')).toContain(message);
  });
});

describe('importer storage live object', () => {
  it.each([
    [
      'aws_s3',
      { type: 'aws_s3', aws_s3: { role_arn: ARN, bucket: 'b', region: 'r' }, created_at: 'x', updated_at: 'y', duration: '1ms' },
      { type: 'aws_s3', aws_s3: { role_arn: ARN, bucket: 'b', region: 'r' } },
    ],
    ['gcs (without credentials_set)', { type: 'gcs', gcs: { bucket: 'b', path_prefix: 'p', credentials_set: true }, created_at: 'x', updated_at: 'y' }, { type: 'gcs', gcs: { bucket: 'b', path_prefix: 'p' } }],
  ])('normalizes %s', (_, res, fields) => {
    expect(importerStorageLive(res)).toEqual({ kind: 'importer_external_storage', address: 'importer_external_storage', fields });
  });

  it('reads a 404 as nothing configured', async () => {
    const api: Api = {
      send: async () => {
        throw Object.assign(new Error('GetImporterExternalStorage: HTTP 404'), { status: 404 });
      },
    };
    expect(await importerStorageKind.fetch(api, [], { complete: false })).toEqual([]);
  });
});

describe('importer storage requests', () => {
  const put = (body: Rec): ApiRequest[] => [{ op: 'UpsertImporterExternalStorage', method: 'PUT', path: '/api/v2/imports/v2/external-storage', body, idempotent: true }];
  const s3 = desired({ type: 'aws_s3', aws_s3: { bucket: 'acme-imports', region: 'eu-west-1', role_arn: ARN } });
  const gcs = desired({ type: 'gcs', gcs: { bucket: 'b', credentials: GCS_KEY } });
  const liveS3: LiveObject = { kind: 'importer_external_storage', address: 'importer_external_storage', fields: { type: 'aws_s3', aws_s3: { bucket: 'old', region: 'eu-west-1', role_arn: ARN, path_prefix: 'kept/' } } };
  const cases: [string, ApiRequest[], ApiRequest[]][] = [
    ['create puts the declared value', importerStorageKind.requests({ action: 'create', address: s3.address, desired: s3, fields: [] }), put(s3.fields)],
    [
      'an update puts the whole value, keeping readable fields the file does not declare',
      importerStorageKind.requests({ action: 'update', address: s3.address, desired: s3, live: liveS3, fields: [{ path: '/aws_s3/bucket', before: 'old', after: 'acme-imports', sensitive: false }] }),
      put({ type: 'aws_s3', aws_s3: { bucket: 'acme-imports', region: 'eu-west-1', role_arn: ARN, path_prefix: 'kept/' } }),
    ],
    [
      'a type change puts only the new type',
      importerStorageKind.requests({ action: 'update', address: gcs.address, desired: gcs, live: liveS3, fields: [{ path: '/type', before: 'aws_s3', after: 'gcs', sensitive: false }] }),
      put(gcs.fields),
    ],
  ];
  it.each(cases)('%s', (_, got, want) => expect(got).toEqual(want));

  it('sends bodies the spec accepts', () => {
    const spec = loadSpec();
    if (!spec) return;
    for (const [, reqs] of cases) for (const r of reqs) expect(spec.validateRequest(r.op, r.body)).toEqual([]);
  });
});

describe('importer storage export', () => {
  it('writes aws_s3 as read, and a placeholder for the gcs key', () => {
    const s3 = importerStorageLive({ type: 'aws_s3', aws_s3: { role_arn: ARN, bucket: 'b', region: 'r' } });
    expect(importerStorageKind.toFile!(s3, [s3])).toEqual({ type: 'aws_s3', aws_s3: { role_arn: ARN, bucket: 'b', region: 'r' } });
    const gcs = importerStorageLive({ type: 'gcs', gcs: { bucket: 'b', credentials_set: true } });
    const entry = importerStorageKind.toFile!(gcs, [gcs]);
    expect(entry).toEqual({ type: 'gcs', gcs: { bucket: 'b', credentials: '${env:STREAM_IMPORTER_EXTERNAL_STORAGE_GCS_CREDENTIALS}' } });
    expect(importerStorageSchema.safeParse(entry).success).toBe(true);
  });
});
