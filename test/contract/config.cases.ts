import { expect } from 'vitest';
import type { TestApi } from '../support/api.js';
import type { ContractCases } from './types.js';

/** Contract cases for block lists, external storage, importer storage, push providers/templates and the checks. */

const enc = encodeURIComponent;
const badToken = { token: 'not-a-jwt' } as const;

async function createBlocklist(api: TestApi, name: string) {
  const r = await api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name, words: ['fudge', 'cream'] } });
  expect(r.status).toBe(201);
  return r.body.blocklist;
}

const s3Storage = (name: string) => ({ name, storage_type: 's3', bucket: 'uploads', path: 'chat/', aws_s3: { s3_region: 'eu-west-1', s3_api_key: 'AKIAEXAMPLEKEY000001', s3_secret: 'contract-s3-secret' } });

async function createProvider(api: TestApi, name: string) {
  const r = await api.call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: { name, type: 'firebase', firebase_credentials: '{"type":"service_account"}' } } });
  expect(r.status).toBe(201);
}

export const cases: ContractCases = {
  async ListBlockLists({ api }) {
    const ok = await api.call({ method: 'GET', path: '/api/v2/blocklists', query: { limit: 2 } });
    expect(ok.status).toBe(200);
    const bad = await api.call({ method: 'GET', path: '/api/v2/blocklists', query: { limit: 0 } });
    expect(bad.status).toBe(400);
  },
  async CreateBlockList({ api }) {
    await createBlocklist(api, 'contract-create');
    const dup = await api.call({ method: 'POST', path: '/api/v2/blocklists', body: { name: 'contract-create', words: ['x'] } });
    expect(dup.status).toBe(400);
  },
  async GetBlockList({ api }) {
    const ok = await api.call({ method: 'GET', path: `/api/v2/blocklists/${enc('profanity_en_2020_v1')}` });
    expect(ok.status).toBe(200);
    const missing = await api.call({ method: 'GET', path: '/api/v2/blocklists/contract-missing' });
    expect(missing.status).toBe(404);
  },
  async UpdateBlockList({ api }) {
    await createBlocklist(api, 'contract-update');
    const ok = await api.call({ method: 'PUT', path: '/api/v2/blocklists/contract-update', body: { words: ['sugar'], is_leet_check_enabled: true } });
    expect(ok.status).toBe(201);
    const missing = await api.call({ method: 'PUT', path: '/api/v2/blocklists/contract-missing', body: { words: ['sugar'] } });
    expect(missing.status).toBe(404);
  },
  async DeleteBlockList({ api }) {
    await createBlocklist(api, 'contract-delete');
    const ok = await api.call({ method: 'DELETE', path: '/api/v2/blocklists/contract-delete' });
    expect(ok.status).toBe(200);
    const again = await api.call({ method: 'DELETE', path: '/api/v2/blocklists/contract-delete' });
    expect(again.status).toBe(404);
  },
  async ImportBlockList({ api }) {
    const list = await createBlocklist(api, 'contract-import');
    const ok = await api.call({ method: 'POST', path: `/api/v2/blocklists/${enc(list.id)}/import`, body: { items: ['toffee'] } });
    expect(ok.status).toBe(201);
    const missing = await api.call({ method: 'POST', path: '/api/v2/blocklists/no-such-id/import', body: { items: ['toffee'] } });
    expect(missing.status).toBe(404);
  },

  async ListExternalStorage({ api }) {
    const ok = await api.call({ method: 'GET', path: '/api/v2/external_storage' });
    expect(ok.status).toBe(200);
    const unauthorized = await api.call({ method: 'GET', path: '/api/v2/external_storage', ...badToken });
    expect(unauthorized.status).toBe(401);
  },
  async CreateExternalStorage({ api }) {
    const ok = await api.call({ method: 'POST', path: '/api/v2/external_storage', body: s3Storage('contract-create') });
    expect(ok.status).toBe(201);
    const dup = await api.call({ method: 'POST', path: '/api/v2/external_storage', body: s3Storage('contract-create') });
    expect(dup.status).toBe(400);
  },
  async UpdateExternalStorage({ api }) {
    await api.call({ method: 'POST', path: '/api/v2/external_storage', body: s3Storage('contract-update') });
    const ok = await api.call({ method: 'PUT', path: '/api/v2/external_storage/contract-update', body: { storage_type: 's3', bucket: 'other' } });
    expect(ok.status).toBe(201);
    const missing = await api.call({ method: 'PUT', path: '/api/v2/external_storage/contract-missing', body: { storage_type: 's3', bucket: 'other' } });
    expect(missing.status).toBe(404);
  },
  async DeleteExternalStorage({ api }) {
    await api.call({ method: 'POST', path: '/api/v2/external_storage', body: s3Storage('contract-delete') });
    const ok = await api.call({ method: 'DELETE', path: '/api/v2/external_storage/contract-delete' });
    expect(ok.status).toBe(200);
    const again = await api.call({ method: 'DELETE', path: '/api/v2/external_storage/contract-delete' });
    expect(again.status).toBe(404);
  },
  async CheckExternalStorage({ api }) {
    await api.call({ method: 'POST', path: '/api/v2/external_storage', body: s3Storage('contract-check') });
    const ok = await api.call({ method: 'GET', path: '/api/v2/external_storage/contract-check/check' });
    expect(ok.status).toBe(200);
    const missing = await api.call({ method: 'GET', path: '/api/v2/external_storage/contract-missing/check' });
    expect(missing.status).toBe(404);
  },

  async GetImporterExternalStorage({ api }) {
    await api.call({ method: 'DELETE', path: '/api/v2/imports/v2/external-storage' });
    const none = await api.call({ method: 'GET', path: '/api/v2/imports/v2/external-storage' });
    expect(none.status).toBe(404);
    await api.call({ method: 'PUT', path: '/api/v2/imports/v2/external-storage', body: { type: 'aws_s3', aws_s3: { role_arn: 'arn:aws:iam::123456789012:role/stream-import', bucket: 'imports', region: 'us-east-1' } } });
    const ok = await api.call({ method: 'GET', path: '/api/v2/imports/v2/external-storage' });
    expect(ok.status).toBe(200);
  },
  async UpsertImporterExternalStorage({ api }) {
    const ok = await api.call({ method: 'PUT', path: '/api/v2/imports/v2/external-storage', body: { type: 'gcs', gcs: { bucket: 'imports', credentials: '{"client_email":"a@b.iam.gserviceaccount.com","private_key":"k"}' } } });
    expect(ok.status).toBe(201);
    const bad = await api.call({ method: 'PUT', path: '/api/v2/imports/v2/external-storage', body: { type: 'gcs' } });
    expect(bad.status).toBe(400);
  },
  async DeleteImporterExternalStorage({ api }) {
    const ok = await api.call({ method: 'DELETE', path: '/api/v2/imports/v2/external-storage' });
    expect(ok.status).toBe(200);
    const unauthorized = await api.call({ method: 'DELETE', path: '/api/v2/imports/v2/external-storage', ...badToken });
    expect(unauthorized.status).toBe(401);
  },
  async ValidateImporterExternalStorage({ api }) {
    await api.call({ method: 'DELETE', path: '/api/v2/imports/v2/external-storage' });
    const none = await api.call({ method: 'POST', path: '/api/v2/imports/v2/external-storage/validate' });
    expect(none.status).toBe(404);
    await api.call({ method: 'PUT', path: '/api/v2/imports/v2/external-storage', body: { type: 'aws_s3', aws_s3: { role_arn: 'arn:aws:iam::123456789012:role/stream-import', bucket: 'imports', region: 'us-east-1' } } });
    const ok = await api.call({ method: 'POST', path: '/api/v2/imports/v2/external-storage/validate' });
    expect(ok.status).toBe(201);
  },

  async ListPushProviders({ api }) {
    const ok = await api.call({ method: 'GET', path: '/api/v2/push_providers' });
    expect(ok.status).toBe(200);
    const unauthorized = await api.call({ method: 'GET', path: '/api/v2/push_providers', ...badToken });
    expect(unauthorized.status).toBe(401);
  },
  async UpsertPushProvider({ api }) {
    await createProvider(api, 'contract-upsert');
    const tooLong = await api.call({ method: 'POST', path: '/api/v2/push_providers', body: { push_provider: { name: 'x'.repeat(37), type: 'firebase' } } }, { skipRequestValidation: true });
    expect(tooLong.status).toBe(400);
  },
  async DeletePushProvider({ api }) {
    await createProvider(api, 'contract-delete');
    const ok = await api.call({ method: 'DELETE', path: '/api/v2/push_providers/firebase/contract-delete' });
    expect(ok.status).toBe(200);
    const again = await api.call({ method: 'DELETE', path: '/api/v2/push_providers/firebase/contract-delete' });
    expect(again.status).toBe(404);
  },
  async GetPushTemplates({ api }) {
    const ok = await api.call({ method: 'GET', path: '/api/v2/push_templates', query: { push_provider_type: 'apn' } });
    expect(ok.status).toBe(200);
    const bad = await api.call({ method: 'GET', path: '/api/v2/push_templates' });
    expect(bad.status).toBe(400);
  },
  async UpsertPushTemplate({ api }) {
    await createProvider(api, 'contract-template');
    const ok = await api.call({ method: 'POST', path: '/api/v2/push_templates', body: { push_provider_type: 'firebase', push_provider_name: 'contract-template', event_type: 'message.new', template: '{"title":"{{ sender.name }}"}' } });
    expect(ok.status).toBe(201);
    const missing = await api.call({ method: 'POST', path: '/api/v2/push_templates', body: { push_provider_type: 'firebase', push_provider_name: 'contract-missing', event_type: 'message.new' } });
    expect(missing.status).toBe(404);
  },
  async CheckPush({ api, emu }) {
    emu.app().users.set('contract-push-user', { id: 'contract-push-user', name: 'Push User', role: 'user' });
    const ok = await api.call({ method: 'POST', path: '/api/v2/check_push', body: { user_id: 'contract-push-user', skip_devices: true, push_provider_type: 'apn' } });
    expect(ok.status).toBe(201);
    const missing = await api.call({ method: 'POST', path: '/api/v2/check_push', body: { user_id: 'contract-no-such-user' } });
    expect(missing.status).toBe(404);
  },
  async CheckSNS({ api }) {
    const ok = await api.call({ method: 'POST', path: '/api/v2/check_sns', body: { sns_topic_arn: 'arn:aws:sns:us-east-1:123456789012:events' } });
    expect(ok.status).toBe(201);
    const bad = await api.call({ method: 'POST', path: '/api/v2/check_sns', body: { sns_topic_arn: 42 } }, { skipRequestValidation: true });
    expect(bad.status).toBe(400);
  },
  async CheckSQS({ api }) {
    const ok = await api.call({ method: 'POST', path: '/api/v2/check_sqs', body: { sqs_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/events' } });
    expect(ok.status).toBe(201);
    const bad = await api.call({ method: 'POST', path: '/api/v2/check_sqs', body: { sqs_url: 42 } }, { skipRequestValidation: true });
    expect(bad.status).toBe(400);
  },
};
