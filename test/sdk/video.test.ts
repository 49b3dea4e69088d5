import { StreamClient } from '@stream-io/node-sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { failure, sdkClient } from '../support/sdk.js';

/** Round trips through the official Node SDK: video call types, SIP trunks and inbound routing rules. */
describe('official SDK: video call types and SIP', () => {
  const env = useEmulator();
  let client: StreamClient;

  beforeAll(() => {
    client = sdkClient(env.emu);
  });

  it('creates, lists by name, updates settings, grants and notifications, and deletes a call type', async () => {
    const created = await client.video.createCallType({
      name: 'sdk-allhands',
      settings: { audio: { mic_default_on: true, default_device: 'speaker' }, geofencing: { names: ['european_union'] } },
      notification_settings: { enabled: true, session_started: { enabled: true } },
      grants: { admin: ['send-audio', 'send-video', 'mute-users'] },
    });
    expect(created).toMatchObject({ name: 'sdk-allhands', grants: { admin: ['send-audio', 'send-video', 'mute-users'] } });
    expect(created.settings.audio).toMatchObject({ mic_default_on: true, default_device: 'speaker' });
    expect(created.settings.geofencing.names).toEqual(['european_union']);
    expect(created.grants.user).toBeDefined();
    expect(created.created_at).toBeInstanceOf(Date);

    const listed = await client.video.listCallTypes();
    expect(Object.keys(listed.call_types).sort()).toEqual(['audio_room', 'default', 'development', 'livestream', 'sdk-allhands']);
    expect(listed.call_types['sdk-allhands']!.name).toBe('sdk-allhands');

    const userGrants = listed.call_types['sdk-allhands']!.grants.user!.filter((c) => c !== 'join-call');
    const updated = await client.video.updateCallType({
      name: 'sdk-allhands',
      settings: { audio: { default_device: 'earpiece' }, recording: { mode: 'disabled' } },
      grants: { user: userGrants, call_member: ['join-call', 'read-call'] },
    });
    expect(updated.settings.audio).toMatchObject({ mic_default_on: true, default_device: 'earpiece' });
    expect(updated.settings.recording.mode).toBe('disabled');
    expect(updated.settings.geofencing.names).toEqual(['european_union']);
    expect(updated.grants.user).not.toContain('join-call');
    expect(updated.grants.call_member).toEqual(['join-call', 'read-call']);
    expect(updated.grants.admin).toEqual(['send-audio', 'send-video', 'mute-users']);

    const notified = await client.video.updateCallType({ name: 'sdk-allhands', notification_settings: { call_ring: { enabled: false, apns: { title: '{{ user.display_name }} is calling' } } } });
    expect(notified.notification_settings.call_ring).toMatchObject({ enabled: false, apns: { title: '{{ user.display_name }} is calling' } });
    expect(notified.notification_settings.session_started.enabled).toBe(true);

    const read = await client.video.getCallType({ name: 'sdk-allhands' });
    expect(read.settings).toEqual(notified.settings);

    await client.video.deleteCallType({ name: 'sdk-allhands' });
    const gone = await failure(client.video.getCallType({ name: 'sdk-allhands' }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
    const again = await failure(client.video.deleteCallType({ name: 'sdk-allhands' }));
    expect([again.code, again.metadata.responseCode]).toEqual([16, 404]);
  });

  it('refuses duplicates, grants to unknown roles and deleting a built-in call type, which can still be updated', async () => {
    await client.video.createCallType({ name: 'sdk-dup' });
    const dup = await failure(client.video.createCallType({ name: 'sdk-dup' }));
    expect([dup.code, dup.metadata.responseCode]).toEqual([4, 400]);

    const unknownRole = await failure(client.video.updateCallType({ name: 'sdk-dup', grants: { no_such_role: ['join-call'] } }));
    expect([unknownRole.code, unknownRole.metadata.responseCode]).toEqual([4, 400]);
    await client.createRole({ name: 'sdk_speaker' });
    const custom = await client.video.updateCallType({ name: 'sdk-dup', grants: { sdk_speaker: ['send-audio'] } });
    expect(custom.grants.sdk_speaker).toEqual(['send-audio']);

    const builtin = await failure(client.video.deleteCallType({ name: 'livestream' }));
    expect([builtin.code, builtin.metadata.responseCode]).toEqual([4, 400]);
    const changed = await client.video.updateCallType({ name: 'livestream', settings: { backstage: { enabled: false } } });
    expect(changed.settings.backstage.enabled).toBe(false);
    expect((await client.video.getCallType({ name: 'livestream' })).settings.backstage.enabled).toBe(false);
  });

  it('creates, lists, updates and deletes SIP trunks', async () => {
    const { sip_trunk: trunk } = await client.video.createSIPTrunk({ name: 'sdk-trunk', numbers: ['+15550100'], password: 'trunk-secret', allowed_ips: ['198.51.100.7'] });
    expect(trunk).toMatchObject({ name: 'sdk-trunk', numbers: ['+15550100'], password: 'trunk-secret', allowed_ips: ['198.51.100.7'] });
    expect(trunk!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(trunk!.uri).toBeTruthy();
    expect(trunk!.username).toBeTruthy();

    expect((await client.video.listSIPTrunks()).sip_trunks.map((t) => t.id)).toContain(trunk!.id);

    const { sip_trunk: updated } = await client.video.updateSIPTrunk({ id: trunk!.id, name: 'sdk-trunk-2', numbers: ['+15550100', '+15550101'] });
    expect(updated).toMatchObject({ id: trunk!.id, name: 'sdk-trunk-2', numbers: ['+15550100', '+15550101'], password: 'trunk-secret', uri: trunk!.uri });

    await client.video.deleteSIPTrunk({ id: trunk!.id });
    expect((await client.video.listSIPTrunks()).sip_trunks.map((t) => t.id)).not.toContain(trunk!.id);
    const gone = await failure(client.video.updateSIPTrunk({ id: trunk!.id, name: 'x', numbers: ['+15550102'] }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
  });

  it('creates, lists, updates and deletes SIP inbound routing rules that name existing trunks', async () => {
    const { sip_trunk: trunk } = await client.video.createSIPTrunk({ name: 'sdk-rules-trunk', numbers: ['+15550200'] });
    const rule = await client.video.createSIPInboundRoutingRule({
      name: 'sdk-support',
      trunk_ids: [trunk!.id],
      caller_configs: { id: '{{ caller_number }}', custom_data: { source: 'pstn' } },
      called_numbers: ['+15550200'],
      direct_routing_configs: { call_type: 'default', call_id: 'support-line' },
    });
    expect(rule).toMatchObject({ name: 'sdk-support', trunk_ids: [trunk!.id], direct_routing_configs: { call_type: 'default', call_id: 'support-line' } });

    const unknownTrunk = await failure(client.video.createSIPInboundRoutingRule({ name: 'sdk-bad', trunk_ids: ['no-such-trunk'], caller_configs: { id: 'x' }, direct_routing_configs: { call_type: 'default', call_id: 'x' } }));
    expect([unknownTrunk.code, unknownTrunk.metadata.responseCode]).toEqual([4, 400]);

    const inUse = await failure(client.video.deleteSIPTrunk({ id: trunk!.id }));
    expect([inUse.code, inUse.metadata.responseCode]).toEqual([4, 400]);

    const { sip_inbound_routing_rule: updated } = await client.video.updateSIPInboundRoutingRule({
      id: rule.id,
      name: 'sdk-support-pin',
      trunk_ids: [trunk!.id],
      caller_configs: { id: '{{ caller_number }}' },
      pin_routing_configs: { pin_prompt: 'Enter your PIN' },
    });
    expect(updated).toMatchObject({ id: rule.id, name: 'sdk-support-pin', pin_routing_configs: { pin_prompt: 'Enter your PIN' } });
    expect(updated!.direct_routing_configs).toBeUndefined();

    const listed = await client.video.listSIPInboundRoutingRule();
    expect(listed.sip_inbound_routing_rules.map((r) => r.name)).toEqual(['sdk-support-pin']);

    await client.video.deleteSIPInboundRoutingRule({ id: rule.id });
    const gone = await failure(client.video.deleteSIPInboundRoutingRule({ id: rule.id }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
    await client.video.deleteSIPTrunk({ id: trunk!.id });
  });

  it('resolves an incoming SIP call to its trunk, rule and call credentials', async () => {
    const { sip_trunk: trunk } = await client.video.createSIPTrunk({ name: 'sdk-resolve-trunk', numbers: ['+15550600'] });
    const rule = await client.video.createSIPInboundRoutingRule({
      name: 'sdk-resolve',
      trunk_ids: [trunk!.id],
      caller_configs: { id: 'phone-{{ caller_number }}', custom_data: { source: 'pstn' } },
      call_configs: { custom_data: { queue: 'support' } },
      direct_routing_configs: { call_type: 'default', call_id: 'support-line' },
    });

    const resolved = await client.video.resolveSipInbound({ sip_trunk_number: '+15550600', sip_caller_number: '+15559000' });
    expect(resolved.credentials).toMatchObject({
      call_type: 'default',
      call_id: 'support-line',
      user_id: 'phone-+15559000',
      api_key: env.emu.apiKey,
      call_custom_data: { queue: 'support' },
      user_custom_data: { source: 'pstn' },
    });
    expect(resolved.credentials.token.split('.')).toHaveLength(3);
    expect(resolved.sip_trunk?.id).toBe(trunk!.id);
    expect(resolved.sip_routing_rule?.id).toBe(rule.id);
    expect(resolved.sip_routing_rule?.created_at).toBeInstanceOf(Date);

    const noTrunk = await failure(client.video.resolveSipInbound({ sip_trunk_number: '+15550699', sip_caller_number: '+15559000' }));
    expect([noTrunk.code, noTrunk.metadata.responseCode]).toEqual([4, 400]);
  });
});
