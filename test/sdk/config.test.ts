import { StreamClient } from '@stream-io/node-sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { completed, failure } from '../support/sdk.js';

/** Round trips through the official Node SDK: what works here must work against real Stream. */
describe('official SDK: block lists, storage, push and checks', () => {
  const env = useEmulator();
  let client: StreamClient;

  beforeAll(() => {
    client = new StreamClient(env.emu.apiKey, env.emu.apiSecret, { basePath: env.emu.url });
  });

  it('creates, reads, updates, imports into, pages and deletes block lists', async () => {
    const created = await client.createBlockList({ name: 'sdk-cakes', words: ['fudge', 'cream'], type: 'word' });
    expect(created.blocklist).toMatchObject({ name: 'sdk-cakes', words: ['fudge', 'cream'] });
    expect(created.blocklist!.created_at).toBeInstanceOf(Date);

    const updated = await client.updateBlockList({ name: 'sdk-cakes', words: ['sugar'], is_plural_check_enabled: true });
    expect(updated.blocklist).toMatchObject({ words: ['sugar'], is_plural_check_enabled: true });

    const task = await client.importBlockList({ id: created.blocklist!.id!, items: ['toffee', 'sugar'] });
    expect((await completed(client, task.task_id)).status).toBe('completed');
    expect((await client.getBlockList({ name: 'sdk-cakes' })).blocklist!.words).toEqual(['sugar', 'toffee']);

    const first = await client.listBlockLists({ limit: 1 });
    expect(first.blocklists).toHaveLength(1);
    const second = await client.listBlockLists({ limit: 1, cursor: first.next_cursor });
    expect(second.blocklists[0]!.name).not.toBe(first.blocklists[0]!.name);

    const dup = await failure(client.createBlockList({ name: 'sdk-cakes', words: ['x'] }));
    expect([dup.code, dup.metadata.responseCode]).toEqual([4, 400]);

    await client.deleteBlockList({ name: 'sdk-cakes' });
    const gone = await failure(client.getBlockList({ name: 'sdk-cakes' }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
  });

  it('keeps capitals in block list words: creates, lists, updates to two words and deletes', async () => {
    const created = await client.createBlockList({ name: 'sdk-f1', words: ['Ricciardo should retire'], type: 'word' });
    expect(created.blocklist!.words).toEqual(['Ricciardo should retire']);
    const listed = await client.listBlockLists();
    expect(listed.blocklists.find((l) => l.name === 'sdk-f1')?.words).toEqual(['Ricciardo should retire']);
    const updated = await client.updateBlockList({ name: 'sdk-f1', words: ['Ricciardo should retire', 'Max Verstappen'] });
    expect(updated.blocklist!.words).toEqual(['Ricciardo should retire', 'Max Verstappen']);
    await client.deleteBlockList({ name: 'sdk-f1' });
    expect((await failure(client.getBlockList({ name: 'sdk-f1' }))).code).toBe(16);
    // The rest of the word validation stands.
    expect((await failure(client.createBlockList({ name: 'sdk-f1-long', words: ['X'.repeat(41)] }))).metadata.responseCode).toBe(400);
  });

  it('refuses a Xiaomi provider with empty credentials as Stream does', async () => {
    const err = await failure(client.upsertPushProvider({ push_provider: { name: 'sdk-mi', type: 'xiaomi', xiaomi_package_name: '', xiaomi_app_secret: '' } }));
    expect([err.code, err.metadata.responseCode]).toEqual([4, 400]);
    expect((err as unknown as Error).message).toContain('xiaomi credentials are invalid');
  });

  it('answers CheckPush for a user without an enabled device with 400/4', async () => {
    env.emu.app().users.set('sdk-no-devices', { id: 'sdk-no-devices', role: 'user' });
    const err = await failure(client.checkPush({ user_id: 'sdk-no-devices' }));
    expect([err.code, err.metadata.responseCode]).toEqual([4, 400]);
    expect((err as unknown as Error).message).toContain('User has no enabled devices associated');
  });

  it('manages external storage, reading back `type` and never the credentials', async () => {
    const created = await client.createExternalStorage({ name: 'sdk-s3', storage_type: 's3', bucket: 'uploads', path: 'files/', aws_s3: { s3_region: 'us-east-1', s3_api_key: 'AKIAIOSFODNN7EXAMPLE', s3_secret: 'sdk-secret' } });
    expect(Object.keys(created)).toEqual(expect.arrayContaining(['duration', 'metadata']));
    const listed = await client.listExternalStorage();
    expect(listed.external_storages['sdk-s3']).toEqual({ name: 'sdk-s3', type: 's3', bucket: 'uploads', path: 'files/' });

    const updated = await client.updateExternalStorage({ name: 'sdk-s3', storage_type: 's3', bucket: 'uploads-2' });
    expect(updated).toMatchObject({ name: 'sdk-s3', type: 's3', bucket: 'uploads-2', path: 'files/' });

    const check = await client.checkExternalStorage({ name: 'sdk-s3' });
    expect(check.file_url).toContain('uploads-2.s3.us-east-1.amazonaws.com/files/');

    const dup = await failure(client.createExternalStorage({ name: 'sdk-s3', storage_type: 's3', bucket: 'x' }));
    expect([dup.code, dup.metadata.responseCode]).toEqual([4, 400]);
    await client.deleteExternalStorage({ name: 'sdk-s3' });
    const gone = await failure(client.checkExternalStorage({ name: 'sdk-s3' }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
  });

  it('manages the importer storage singleton', async () => {
    const none = await failure(client.getImporterExternalStorage());
    expect([none.code, none.metadata.responseCode]).toEqual([16, 404]);
    await client.upsertImporterExternalStorage({ type: 'aws_s3', aws_s3: { role_arn: 'arn:aws:iam::123456789012:role/stream', bucket: 'imports', region: 'us-east-1' } });
    const got = await client.getImporterExternalStorage();
    expect(got).toMatchObject({ type: 'aws_s3', aws_s3: { bucket: 'imports', region: 'us-east-1' } });
    expect(got.created_at).toBeInstanceOf(Date);
    await client.validateImporterExternalStorage();
    await client.deleteImporterExternalStorage();
    await client.deleteImporterExternalStorage();
    expect((await failure(client.validateImporterExternalStorage())).metadata.responseCode).toBe(404);
  });

  it('upserts push providers and templates, and deleting a provider removes its templates', async () => {
    const up = await client.upsertPushProvider({ push_provider: { name: 'sdk-fcm', type: 'firebase', firebase_credentials: '{"type":"service_account","private_key":"sdk-fcm-secret"}', description: 'Android' } });
    expect(up.push_provider).toMatchObject({ name: 'sdk-fcm', type: 'firebase', description: 'Android' });
    expect(up.push_provider.created_at).toBeInstanceOf(Date);
    const providers = await client.listPushProviders();
    expect(JSON.stringify(providers)).not.toContain('sdk-fcm-secret');

    const tpl = await client.upsertPushTemplate({ push_provider_type: 'firebase', push_provider_name: 'sdk-fcm', event_type: 'message.new', template: '{"title":"{{ sender.name }}"}', enable_push: true });
    expect(tpl.template).toMatchObject({ event_type: 'message.new', enable_push: true });
    const templates = await client.getPushTemplates({ push_provider_type: 'firebase', push_provider_name: 'sdk-fcm' });
    expect(templates.templates).toHaveLength(1);

    await client.deletePushProvider({ type: 'firebase', name: 'sdk-fcm' });
    const gone = await failure(client.getPushTemplates({ push_provider_type: 'firebase', push_provider_name: 'sdk-fcm' }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
    const again = await failure(client.deletePushProvider({ type: 'firebase', name: 'sdk-fcm' }));
    expect([again.code, again.metadata.responseCode]).toEqual([16, 404]);
  });

  it('runs the push, SNS and SQS checks', async () => {
    env.emu.app().users.set('sdk-push-user', { id: 'sdk-push-user', name: 'Sam', role: 'user' });
    const push = await client.checkPush({ user_id: 'sdk-push-user', skip_devices: true, push_provider_type: 'firebase' });
    expect(JSON.parse(push.rendered_firebase_template!)).toMatchObject({ body: 'This is a test push notification' });
    expect(push.rendered_message).toMatchObject({ receiver_id: 'sdk-push-user' });

    const sqs = await client.checkSQS({ sqs_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/queue' });
    expect(sqs.status).toBe('ok');
    env.emu.app().checkOutcomes.set('sns', { ok: false, message: 'topic not found' });
    const sns = await client.checkSNS({ sns_topic_arn: 'arn:aws:sns:eu-west-1:123456789012:topic' });
    expect(sns).toMatchObject({ status: 'error', error: 'topic not found' });

    const unknown = await failure(client.checkPush({ user_id: 'sdk-nobody' }));
    expect([unknown.code, unknown.metadata.responseCode]).toEqual([16, 404]);
  });
});
