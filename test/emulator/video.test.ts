import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.js';
import { TestApi } from '../support/api.js';
import { useEmulator } from '../support/emulator.js';
import { loadSpec } from '../support/spec.js';

const CALL_TYPES = '/api/v2/video/calltypes';
const TRUNKS = '/api/v2/video/sip/inbound_trunks';
const RULES = '/api/v2/video/sip/inbound_routing_rules';
const RESOLVE = '/api/v2/video/sip/resolve';

describe('video call types: built-ins and merge rules', () => {
  const env = useEmulator();

  it('gives every new app the four built-in call types with the documented defaults', async () => {
    const { body } = await env.api.call({ method: 'GET', path: CALL_TYPES });
    expect(Object.keys(body.call_types).sort()).toEqual(['audio_room', 'default', 'development', 'livestream']);
    const { default: dflt, audio_room: audioRoom, livestream, development } = body.call_types;
    // Rows of the docs' "Defaults for call type settings" table.
    expect(dflt.settings).toMatchObject({ backstage: { enabled: false }, video: { enabled: true, target_resolution: { width: 2560, height: 1440 } }, audio: { default_device: 'earpiece', mic_default_on: true }, ring: { incoming_call_timeout_ms: 15_000 } });
    expect(audioRoom.settings).toMatchObject({ backstage: { enabled: true }, video: { enabled: false }, screensharing: { enabled: false }, audio: { default_device: 'speaker', mic_default_on: false, access_request_enabled: true } });
    expect(livestream.settings).toMatchObject({ backstage: { enabled: true }, video: { enabled: true, access_request_enabled: false }, audio: { access_request_enabled: false } });
    expect(development.settings).toMatchObject({ backstage: { enabled: false }, recording: { mode: 'available', quality: '720p' }, broadcasting: { hls: { quality_tracks: ['720p'] } } });
    expect(development.grants.user).toContain('update-call-settings');
    for (const ct of Object.values(body.call_types) as { grants: Record<string, string[]> }[]) {
      expect(Object.keys(ct.grants).sort()).toEqual(['admin', 'call_member', 'host', 'moderator', 'user']);
    }
  });

  it('merges settings block by block and recursively, replacing arrays and free-form maps, leaving unsent blocks alone', async () => {
    const created = (await env.api.call({ method: 'POST', path: CALL_TYPES, body: { name: 'merge', settings: { recording: { mode: 'available', layout: { name: 'grid', options: { 'title.text': 'A', 'title.color': 'black' } } } } } })).body;
    // A new type starts from the `default` type's settings.
    const { default: dflt } = (await env.api.call({ method: 'GET', path: CALL_TYPES })).body.call_types;
    expect(created.settings.video).toEqual(dflt.settings.video);
    expect(created.settings.recording.layout).toEqual({ name: 'grid', external_app_url: '', external_css_url: '', options: { 'title.text': 'A', 'title.color': 'black' } });

    const updated = (await env.api.call({
      method: 'PUT',
      path: `${CALL_TYPES}/merge`,
      body: { settings: { broadcasting: { hls: { quality_tracks: ['1080p', '360p'] } }, recording: { mode: 'auto-on', layout: { name: 'spotlight', options: { 'title.text': 'B' } } }, geofencing: { names: ['india'] } } },
    })).body;
    expect(updated.settings.broadcasting.hls).toEqual({ ...created.settings.broadcasting.hls, quality_tracks: ['1080p', '360p'] });
    expect(updated.settings.broadcasting.rtmp).toEqual(created.settings.broadcasting.rtmp);
    expect(updated.settings.recording).toMatchObject({ mode: 'auto-on', quality: '720p', layout: { name: 'spotlight', options: { 'title.text': 'B' } } });
    expect(updated.settings.geofencing.names).toEqual(['india']);
    for (const block of ['audio', 'video', 'ring', 'session', 'transcription']) expect(updated.settings[block]).toEqual(created.settings[block]);
  });

  it('replaces the grants of the roles sent only, and merges notification settings event by event', async () => {
    await env.api.call({ method: 'POST', path: CALL_TYPES, body: { name: 'grants' } });
    const before = (await env.api.call({ method: 'GET', path: `${CALL_TYPES}/grants` })).body;
    const after = (await env.api.call({
      method: 'PUT',
      path: `${CALL_TYPES}/grants`,
      body: { grants: { user: [], guest: ['read-call'] }, notification_settings: { enabled: false, call_ring: { apns: { title: 'Ring', body: 'Answer' } } } },
    })).body;
    expect(after.grants).toEqual({ ...before.grants, user: [], guest: ['read-call'] });
    expect(after.notification_settings).toEqual({ ...before.notification_settings, enabled: false, call_ring: { ...before.notification_settings.call_ring, apns: { title: 'Ring', body: 'Answer' } } });
  });

  it('refuses invalid settings, unknown capabilities and unknown external storage with 400/4 naming the field', async () => {
    await env.api.call({ method: 'POST', path: CALL_TYPES, body: { name: 'strict' } });
    const put = (body: unknown) => env.api.call({ method: 'PUT', path: `${CALL_TYPES}/strict`, body }, { skipRequestValidation: true });
    const noDevice = await put({ settings: { audio: { mic_default_on: true } } });
    expect([noDevice.status, noDevice.body.code, noDevice.body.exception_fields]).toEqual([400, 4, { 'settings.audio.default_device': 'settings.audio.default_device is a required field' }]);
    const shortRing = await put({ settings: { ring: { incoming_call_timeout_ms: 100, auto_cancel_timeout_ms: 5000 } } });
    expect(shortRing.body.exception_fields).toHaveProperty(['settings.ring.incoming_call_timeout_ms']);
    const capability = await put({ grants: { user: ['fly'] } });
    expect([capability.status, capability.body.message]).toEqual([400, 'UpdateCallType failed with error: "grants: "fly" is neither a call capability nor a permission"']);
    // Both vocabularies Stream publishes: call capabilities and video permission ids.
    expect((await put({ grants: { user: ['start-record-call', 'start-recording'] } })).status).toBe(201);
    const storage = await put({ external_storage: 'nowhere' });
    expect([storage.status, storage.body.code]).toEqual([400, 4]);
    const badName = await env.api.call({ method: 'POST', path: CALL_TYPES, body: { name: 'has space' } });
    expect(badName.status).toBe(400);
  });
});

describe('video SIP: what the SDK round trips leave out', () => {
  const env = useEmulator();
  const trunk = async (body: Record<string, unknown> = {}) => (await env.api.call({ method: 'POST', path: TRUNKS, body: { name: 't', numbers: ['+15550300'], ...body } })).body.sip_trunk;

  it('generates a password when none is set, and keeps password and allowed IPs an update leaves out', async () => {
    const t = await trunk({ allowed_ips: ['2001:db8::/32'] });
    expect(t.password).toMatch(/^[0-9a-f]{32}$/);
    const u = (await env.api.call({ method: 'PUT', path: `${TRUNKS}/${t.id}`, body: { name: 't2', numbers: ['+15550301'] } })).body.sip_trunk;
    expect(u).toMatchObject({ password: t.password, allowed_ips: ['2001:db8::/32'], created_at: t.created_at });
    const badIp = await env.api.call({ method: 'POST', path: TRUNKS, body: { name: 't', numbers: ['+1'], allowed_ips: ['not-an-ip'] } });
    expect(badIp.status).toBe(400);
  });

  it('refuses both direct and PIN routing in one rule, and a direct route to a missing call type', async () => {
    const t = await trunk();
    const rule = (extra: Record<string, unknown>) => env.api.call({ method: 'POST', path: RULES, body: { name: 'r', trunk_ids: [t.id], caller_configs: { id: 'c' }, ...extra } });
    expect((await rule({})).status).toBe(201);
    const both = await rule({ direct_routing_configs: { call_type: 'default', call_id: 'x' }, pin_routing_configs: {} });
    expect([both.status, both.body.code]).toEqual([400, 4]);
    const unknownType = await rule({ direct_routing_configs: { call_type: 'nope', call_id: 'x' } });
    expect(unknownType.body.message).toContain('call type "nope" does not exist');
    const pin = await rule({ pin_routing_configs: { pin_prompt: 'PIN?' }, pin_protection_configs: { required_pin_digits: 6 } });
    expect(pin.body).toMatchObject({ pin_protection_configs: { enabled: false, required_pin_digits: 6 }, called_numbers: [] });
  });
});

describe('video SIP: ResolveSipInbound picks the trunk and the first matching rule', () => {
  const env = useEmulator();
  const trunk = async (name: string, numbers: string[], password?: string) =>
    (await env.api.call({ method: 'POST', path: TRUNKS, body: { name, numbers, ...(password ? { password } : {}) } })).body.sip_trunk;
  const rule = async (name: string, trunkIds: string[], extra: Record<string, unknown> = {}) =>
    (await env.api.call({ method: 'POST', path: RULES, body: { name, trunk_ids: trunkIds, caller_configs: { id: '{{ caller_number }}' }, direct_routing_configs: { call_type: 'default', call_id: name }, ...extra } })).body;
  const resolve = (body: Record<string, unknown>) => env.api.call({ method: 'POST', path: RESOLVE, body });

  it('finds the trunk by number and the first rule, in creation order, whose called and caller numbers match', async () => {
    const other = await trunk('other', ['+15551000']);
    const main = await trunk('main', ['+15551001', '+15551002']);
    await rule('other-trunk', [other.id]);
    const vip = await rule('vip', [main.id], { caller_numbers: ['+15559001'] });
    const second = await rule('second-number', [main.id], { called_numbers: ['+15551002'] });
    const fallback = await rule('fallback', [main.id]);
    await rule('shadowed', [main.id]);
    const routed = async (to: string, from: string) => {
      const r = await resolve({ sip_trunk_number: to, sip_caller_number: from });
      expect(r.status).toBe(201);
      return r.body;
    };

    const v = await routed('+15551001', '+15559001');
    expect([v.sip_trunk.id, v.sip_routing_rule.id, v.credentials.call_id]).toEqual([main.id, vip.id, 'vip']);
    expect((await routed('+15551002', '+15559002')).sip_routing_rule.id).toBe(second.id);
    expect((await routed('+15551001', '+15559002')).sip_routing_rule.id).toBe(fallback.id);
    expect((await routed('+15551000', '+15559001')).sip_routing_rule.name).toBe('other-trunk');

    // An update keeps a rule's place: `vip` still comes first once it matches every caller.
    await env.api.call({ method: 'PUT', path: `${RULES}/${vip.id}`, body: { name: 'vip', trunk_ids: [main.id], caller_configs: { id: 'c' }, direct_routing_configs: { call_type: 'default', call_id: 'vip' } } });
    expect((await routed('+15551001', '+15559003')).sip_routing_rule.id).toBe(vip.id);
    // A duplicate number: the first trunk created that has it wins.
    await trunk('late', ['+15551001']);
    expect((await routed('+15551001', '+15559003')).sip_trunk.id).toBe(main.id);
  });

  it('answers 400/4 when no trunk has the number, no rule matches, or trunk_id names no trunk', async () => {
    const t = await trunk('strict', ['+15552000']);
    const noRule = await resolve({ sip_trunk_number: '+15552000', sip_caller_number: '+15559000' });
    expect([noRule.status, noRule.body.code, noRule.body.message]).toEqual([400, 4, `ResolveSipInbound failed with error: "no SIP inbound routing rule of trunk "${t.id}" matches a call from "+15559000" to "+15552000""`]);
    await rule('only-vip', [t.id], { caller_numbers: ['+15559001'], called_numbers: ['+15552000'] });
    expect((await resolve({ sip_trunk_number: '+15552000', sip_caller_number: '+15559000' })).status).toBe(400);
    const noTrunk = await resolve({ sip_trunk_number: '+15552999', sip_caller_number: '+15559001' });
    expect([noTrunk.status, noTrunk.body.code, noTrunk.body.message]).toEqual([400, 4, 'ResolveSipInbound failed with error: "no SIP trunk has the number "+15552999""']);
    const badId = await resolve({ sip_trunk_number: '+15552000', sip_caller_number: '+15559001', trunk_id: 'nope' });
    expect([badId.status, badId.body.code]).toEqual([400, 4]);
    const missing = await env.api.call({ method: 'POST', path: RESOLVE, body: { sip_trunk_number: '+15552000' } }, { skipRequestValidation: true });
    expect(missing.body.exception_fields).toEqual({ sip_caller_number: 'sip_caller_number is a required field' });
  });

  it('renders the templates, signs a call token with the app secret, and leaves the call open for PIN routing', async () => {
    const t = await trunk('templates', ['+15553000']);
    const r = await rule('templates', [t.id], {
      caller_configs: { id: 'caller-{{ caller_number }}', custom_data: { from: '{{caller_number}}', to: '{{ called_number }}', nope: '{{ unknown }}', n: 1 } },
      call_configs: { custom_data: { queue: '{{ caller_number }}' } },
      direct_routing_configs: { call_type: 'audio_room', call_id: 'line-{{ uuid }}' },
    });
    const { body } = await resolve({ sip_trunk_number: '+15553000', sip_caller_number: '+1 (555) 900-0000', routing_number: '1234567890' });
    const c = body.credentials;
    expect(c).toMatchObject({ call_type: 'audio_room', user_id: 'caller-+1 (555) 900-0000', api_key: env.emu.apiKey, call_custom_data: { queue: '{{ caller_number }}' }, user_custom_data: { from: '+1 (555) 900-0000', to: '+15553000', nope: '', n: 1 } });
    expect(c.call_id).toMatch(/^line-[0-9a-f-]{36}$/);
    const { payload } = await jwtVerify(c.token, new TextEncoder().encode(env.emu.apiSecret));
    expect(payload).toMatchObject({ user_id: c.user_id, call_cids: [`audio_room:${c.call_id}`] });

    await env.api.call({ method: 'PUT', path: `${RULES}/${r.id}`, body: { name: 'pin', trunk_ids: [t.id], caller_configs: { id: '' }, pin_routing_configs: { pin_prompt: 'PIN?' } } });
    const pin = (await resolve({ sip_trunk_number: '+15553000', sip_caller_number: '+1 (555) 900-0000' })).body.credentials;
    expect(pin).toMatchObject({ call_type: 'default', call_id: '', user_id: 'sip-15559000000', call_custom_data: {}, user_custom_data: {} });
    expect((await jwtVerify(pin.token, new TextEncoder().encode(env.emu.apiSecret))).payload.call_cids).toBeUndefined();
  });

  it('accepts a call without a challenge, and checks a digest challenge against the trunk credentials', async () => {
    const t = await trunk('digest', ['+15554000'], 'trunk-pass');
    await rule('digest', [t.id]);
    const call = { sip_trunk_number: '+15554000', sip_caller_number: '+15559000' };
    expect((await resolve(call)).status).toBe(201);
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5(`${t.username}:stream:trunk-pass`);
    const ha2 = md5('INVITE:sip:+15554000@sip.stream-io-video.com');
    const challenge = { username: t.username, realm: 'stream', nonce: 'n0nce', uri: 'sip:+15554000@sip.stream-io-video.com', method: 'INVITE', algorithm: 'MD5', qop: ['auth'], nc: '00000001', cnonce: 'c' };
    const good = await resolve({ ...call, challenge: { ...challenge, response: md5(`${ha1}:n0nce:00000001:c:auth:${ha2}`) } });
    expect(good.status).toBe(201);
    const noQop = await resolve({ ...call, challenge: { ...challenge, qop: undefined, response: md5(`${ha1}:n0nce:${ha2}`) } });
    expect(noQop.status).toBe(201);
    const bad = await resolve({ ...call, challenge: { ...challenge, response: md5('wrong') } });
    expect([bad.status, bad.body.code, bad.body.message]).toEqual([400, 4, `ResolveSipInbound failed with error: "SIP digest authentication failed for trunk "${t.id}""`]);
    // A pre-authenticated trunk (ResolveSipAuth's no-auth flow) is taken as named, whatever its numbers.
    const named = await resolve({ ...call, sip_trunk_number: '+15554999', trunk_id: t.id });
    expect([named.status, named.body.sip_trunk?.id]).toEqual([201, t.id]);
  });
});

describe('video resources and the rest of the emulator', () => {
  const env = useEmulator();

  it('lists the video operations in GetRateLimits after the common ones, in registry order', async () => {
    const ops = Object.keys((await env.api.call({ method: 'GET', path: '/api/v2/rate_limits', query: { server_side: true } })).body.server_side);
    expect(ops.slice(-14)).toEqual([
      'ListCallTypes', 'CreateCallType', 'GetCallType', 'UpdateCallType', 'DeleteCallType',
      'ListSIPTrunks', 'CreateSIPTrunk', 'UpdateSIPTrunk', 'DeleteSIPTrunk',
      'ListSIPInboundRoutingRule', 'CreateSIPInboundRoutingRule', 'UpdateSIPInboundRoutingRule', 'DeleteSIPInboundRoutingRule',
      'ResolveSipInbound',
    ]);
  });
});

describe('video persistence with --data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stream-emu-video-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const boot = async (dataFile: string) => {
    const emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, now: () => T0, dataFile, apps: [{ key: 'video', secret: 'video-secret' }] });
    return { emu, api: new TestApi(emu, loadSpec()) };
  };
  const withoutDuration = ({ duration: _d, ...rest }: Record<string, unknown>) => rest;

  it('reads call types, trunks and rules back the same after a restart', async () => {
    const file = join(dir, 'state.json');
    let { emu, api } = await boot(file);
    await api.call({ method: 'POST', path: CALL_TYPES, body: { name: 'kept', grants: { host: ['join-call'] } } });
    await api.call({ method: 'PUT', path: `${CALL_TYPES}/default`, body: { settings: { thumbnails: { enabled: true } } } });
    await api.call({ method: 'DELETE', path: `${CALL_TYPES}/development` }); // a built-in: refused, stays
    const t = (await api.call({ method: 'POST', path: TRUNKS, body: { name: 'kept', numbers: ['+15550400'] } })).body.sip_trunk;
    await api.call({ method: 'POST', path: RULES, body: { name: 'kept', trunk_ids: [t.id], caller_configs: { id: 'c' }, direct_routing_configs: { call_type: 'kept', call_id: 'x' } } });
    const readAll = async () => Promise.all([CALL_TYPES, TRUNKS, RULES].map(async (path) => withoutDuration((await api.call({ method: 'GET', path })).body)));
    const before = await readAll();
    expect(JSON.stringify(before)).toContain('"thumbnails":{"enabled":true}');
    await emu.close();

    ({ emu, api } = await boot(file));
    expect(await readAll()).toEqual(before);
    await emu.close();
  });

  it('gives apps of a data file written before call types existed the built-ins', async () => {
    const file = join(dir, 'old.json');
    const { emu } = await boot(file);
    await emu.close();
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    for (const app of saved.apps) delete app.callTypes;
    writeFileSync(file, JSON.stringify(saved));

    const again = await boot(file);
    const { body } = await again.api.call({ method: 'GET', path: CALL_TYPES });
    expect(Object.keys(body.call_types).sort()).toEqual(['audio_room', 'default', 'development', 'livestream']);
    await again.emu.close();
  });
});
