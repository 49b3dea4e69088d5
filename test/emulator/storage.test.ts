import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';

const S3_SECRET = 'storage-test-s3-secret-value';
const S3_KEY = 'AKIASTORAGETESTKEY01';
const GCS_SECRET_KEY = 'gcs-private-key-never-echoed';
const gcsCredentials = JSON.stringify({ type: 'service_account', client_email: 'sync@project.iam.gserviceaccount.com', private_key: GCS_SECRET_KEY });
const ABS_SECRET = 'azure-client-secret-never-echoed';

describe('external storage', () => {
  const env = useEmulator();
  const bodies: string[] = [];
  const successes: unknown[] = [];
  /** Every response, so a test can prove no secret ever left the emulator. */
  const call = async (...args: Parameters<typeof env.api.call>) => {
    const r = await env.api.call(...args);
    bodies.push(JSON.stringify(r.body));
    if (r.status < 300) successes.push(r.body);
    return r;
  };
  const list = async () => (await call({ method: 'GET', path: '/api/v2/external_storage' })).body.external_storages;

  it('creates storage answering only duration, and reads it back as {name, type, bucket, path}', async () => {
    const r = await call({ method: 'POST', path: '/api/v2/external_storage', body: { name: 's3-main', storage_type: 's3', bucket: 'uploads', path: 'chat/', aws_s3: { s3_region: 'eu-west-1', s3_api_key: S3_KEY, s3_secret: S3_SECRET } } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual(['duration']);
    expect((await list())['s3-main']).toEqual({ name: 's3-main', type: 's3', bucket: 'uploads', path: 'chat/' });
  });

  it('rejects a duplicate name, an unknown type and credentials for another provider', async () => {
    const dup = await call({ method: 'POST', path: '/api/v2/external_storage', body: { name: 's3-main', storage_type: 's3', bucket: 'x' } });
    expect([dup.status, dup.body.code]).toEqual([400, 4]);
    const badType = await call({ method: 'POST', path: '/api/v2/external_storage', body: { name: 'ftp', storage_type: 'ftp', bucket: 'x' } }, { skipRequestValidation: true });
    expect(badType.status).toBe(400);
    const mixed = await call({ method: 'POST', path: '/api/v2/external_storage', body: { name: 'mixed', storage_type: 'gcs', bucket: 'x', aws_s3: { s3_region: 'eu-west-1' } } });
    expect(mixed.status).toBe(400);
    const noBucket = await call({ method: 'POST', path: '/api/v2/external_storage', body: { name: 'nobucket', storage_type: 's3' } }, { skipRequestValidation: true });
    expect(noBucket.body.exception_fields).toEqual({ bucket: 'bucket is a required field' });
  });

  it('updates type and bucket, keeps the path when not sent, and requires storage_type and bucket', async () => {
    const r = await call({ method: 'PUT', path: '/api/v2/external_storage/s3-main', body: { storage_type: 's3', bucket: 'uploads-2' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 's3-main', type: 's3', bucket: 'uploads-2', path: 'chat/' });
    const missing = await call({ method: 'PUT', path: '/api/v2/external_storage/s3-main', body: { bucket: 'x' } }, { skipRequestValidation: true });
    expect([missing.status, Object.keys(missing.body.exception_fields)]).toEqual([400, ['storage_type']]);
    const unknown = await call({ method: 'PUT', path: '/api/v2/external_storage/nope', body: { storage_type: 's3', bucket: 'x' } });
    expect([unknown.status, unknown.body.code]).toEqual([404, 16]);
  });

  it('checks storage by its credentials: kept credentials pass, missing ones fail with a reason', async () => {
    const ok = await call({ method: 'GET', path: '/api/v2/external_storage/s3-main/check' });
    expect(ok.status).toBe(200);
    expect(ok.body.file_url).toMatch(/^https:\/\/uploads-2\.s3\.eu-west-1\.amazonaws\.com\/chat\/stream-storage-check-.+\.txt$/);

    await call({ method: 'POST', path: '/api/v2/external_storage', body: { name: 'gcs-bare', storage_type: 'gcs', bucket: 'b' } });
    const bare = await call({ method: 'GET', path: '/api/v2/external_storage/gcs-bare/check' });
    expect([bare.status, bare.body.code]).toEqual([400, 4]);
    expect(bare.body.message).toContain('gcs_credentials are not configured');

    await call({ method: 'PUT', path: '/api/v2/external_storage/gcs-bare', body: { storage_type: 'gcs', bucket: 'b', gcs_credentials: gcsCredentials } });
    expect((await call({ method: 'GET', path: '/api/v2/external_storage/gcs-bare/check' })).body.file_url).toMatch(/^https:\/\/storage\.googleapis\.com\/b\//);

    await call({ method: 'POST', path: '/api/v2/external_storage', body: { name: 'abs', storage_type: 'abs', bucket: 'c', azure_blob: { abs_account_name: 'acct', abs_tenant_id: 't', abs_client_id: 'c', abs_client_secret: ABS_SECRET } } });
    expect((await call({ method: 'GET', path: '/api/v2/external_storage/abs/check' })).body.file_url).toMatch(/^https:\/\/acct\.blob\.core\.windows\.net\/c\//);
  });

  it('drops the old provider credentials when the type changes', async () => {
    await call({ method: 'PUT', path: '/api/v2/external_storage/abs', body: { storage_type: 'gcs', bucket: 'c' } });
    expect((await call({ method: 'GET', path: '/api/v2/external_storage/abs/check' })).status).toBe(400);
  });

  it('lets the check outcome be configured per storage', async () => {
    env.emu.app().checkOutcomes.set('external_storage/s3-main', { ok: false, message: 'AccessDenied: bucket policy' });
    const fail = await call({ method: 'GET', path: '/api/v2/external_storage/s3-main/check' });
    expect(fail.status).toBe(400);
    expect(fail.body.message).toContain('AccessDenied: bucket policy');
    env.emu.app().checkOutcomes.set('external_storage/gcs-bare', { ok: true });
    await call({ method: 'PUT', path: '/api/v2/external_storage/gcs-bare', body: { storage_type: 'gcs', bucket: 'b', gcs_credentials: '{}' } });
    expect((await call({ method: 'GET', path: '/api/v2/external_storage/gcs-bare/check' })).status).toBe(200);
    env.emu.app().checkOutcomes.clear();
  });

  it('answers 404/16 after deletion', async () => {
    expect((await call({ method: 'DELETE', path: '/api/v2/external_storage/abs' })).status).toBe(200);
    expect((await call({ method: 'DELETE', path: '/api/v2/external_storage/abs' })).body.code).toBe(16);
    expect((await call({ method: 'GET', path: '/api/v2/external_storage/abs/check' })).status).toBe(404);
    expect(Object.keys(await list())).not.toContain('abs');
  });

  it('never echoes a credential in any response, and reads never use the write model', () => {
    const all = bodies.join('\n');
    for (const secret of [S3_SECRET, S3_KEY, GCS_SECRET_KEY, ABS_SECRET]) expect(all).not.toContain(secret);
    const read = JSON.stringify(successes);
    for (const writeOnly of ['aws_s3', 'gcs_credentials', 'azure_blob', 'storage_type', 's3_region']) expect(read).not.toContain(writeOnly);
  });
});

describe('importer external storage', () => {
  const env = useEmulator();
  const path = '/api/v2/imports/v2/external-storage';
  const aws = { role_arn: 'arn:aws:iam::123456789012:role/stream-import', bucket: 'imports', region: 'us-east-1', path_prefix: 'exports/' };

  it('answers 404/16 while nothing is configured, for reads and validation', async () => {
    const r = await env.api.call({ method: 'GET', path });
    expect([r.status, r.body.code]).toEqual([404, 16]);
    expect((await env.api.call({ method: 'POST', path: `${path}/validate` })).status).toBe(404);
  });

  it('reads an S3 configuration back whole, with server timestamps', async () => {
    expect((await env.api.call({ method: 'PUT', path, body: { type: 'aws_s3', aws_s3: aws } })).status).toBe(201);
    const r = await env.api.call({ method: 'GET', path });
    expect(r.body).toMatchObject({ type: 'aws_s3', aws_s3: aws });
    expect(r.body.created_at).toBeTypeOf('string');
    expect((await env.api.call({ method: 'POST', path: `${path}/validate` })).status).toBe(201);
  });

  it('keeps GCS credentials write-only, reporting only that they are set, and keeps created_at across upserts', async () => {
    const before = (await env.api.call({ method: 'GET', path })).body.created_at;
    const put = await env.api.call({ method: 'PUT', path, body: { type: 'gcs', gcs: { bucket: 'imports', credentials: gcsCredentials } } });
    const r = await env.api.call({ method: 'GET', path });
    expect(r.body).toMatchObject({ type: 'gcs', gcs: { bucket: 'imports', credentials_set: true }, created_at: before });
    expect(r.body.aws_s3).toBeUndefined();
    expect(JSON.stringify([put.body, r.body])).not.toContain(GCS_SECRET_KEY);
    expect((await env.api.call({ method: 'POST', path: `${path}/validate` })).status).toBe(201);
  });

  it('validates input: type enum, the block for the type, role ARN and JSON credentials', async () => {
    expect((await env.api.call({ method: 'PUT', path, body: { type: 'azure' } }, { skipRequestValidation: true })).status).toBe(400);
    const noBlock = await env.api.call({ method: 'PUT', path, body: { type: 'aws_s3' } });
    expect(noBlock.body.exception_fields).toEqual({ aws_s3: 'aws_s3 is a required field' });
    expect((await env.api.call({ method: 'PUT', path, body: { type: 'aws_s3', aws_s3: { ...aws, role_arn: 'my-role' } } })).status).toBe(400);
    expect((await env.api.call({ method: 'PUT', path, body: { type: 'gcs', gcs: { bucket: 'b', credentials: 'not json' } } })).status).toBe(400);
  });

  it('fails validation of credentials that are not a service account key, or when configured to fail', async () => {
    await env.api.call({ method: 'PUT', path, body: { type: 'gcs', gcs: { bucket: 'b', credentials: '{"type":"service_account"}' } } });
    const r = await env.api.call({ method: 'POST', path: `${path}/validate` });
    expect([r.status, r.body.code]).toEqual([400, 4]);
    await env.api.call({ method: 'PUT', path, body: { type: 'aws_s3', aws_s3: aws } });
    env.emu.app().checkOutcomes.set('importer', { ok: false, message: 'sts:AssumeRole denied' });
    const denied = await env.api.call({ method: 'POST', path: `${path}/validate` });
    expect(denied.body.message).toContain('sts:AssumeRole denied');
    env.emu.app().checkOutcomes.delete('importer');
  });

  it('deletes idempotently', async () => {
    expect((await env.api.call({ method: 'DELETE', path })).status).toBe(200);
    expect((await env.api.call({ method: 'DELETE', path })).status).toBe(200);
    expect((await env.api.call({ method: 'GET', path })).status).toBe(404);
  });
});
