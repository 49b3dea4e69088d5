import { StreamClient } from '@stream-io/node-sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { failure, sdkClient } from '../support/sdk.js';

/** Round trips through the official Node SDK: moderation configs and rules (`client.moderation.*`). */
describe('official SDK: moderation configs and rules', () => {
  const env = useEmulator();
  let client: StreamClient;

  beforeAll(() => {
    client = sdkClient(env.emu);
  });

  it('upserts, reads, replaces and deletes a config, then answers 404', async () => {
    await client.createBlockList({ name: 'sdk-words', words: ['spoiler'] });
    const { config } = await client.moderation.upsertConfig({
      key: 'chat:messaging:sdk',
      block_list_config: { enabled: true, rules: [{ name: 'sdk-words', action: 'remove' }, { name: 'profanity_en_2020_v1', action: 'mask_flag' }] },
      ai_text_config: { enabled: true, rules: [{ label: 'SCAM', action: 'flag' }] },
      velocity_filter_config: { enabled: true, rules: [{ action: 'ban', ban_duration: 30 }] },
      llm_config: { enabled: true, app_context: 'Support chat', rules: [{ label: 'SPAM', description: 'Ads', action: 'remove' }] },
    });
    expect(config).toMatchObject({ key: 'chat:messaging:sdk', team: '', async: false, block_list_config: { enabled: true, rules: [{ name: 'sdk-words', action: 'remove' }, { name: 'profanity_en_2020_v1', action: 'mask_flag' }] } });
    expect(config!.created_at).toBeInstanceOf(Date);
    expect(config!.supported_video_call_harm_types.length).toBeGreaterThan(0);

    const read = await client.moderation.getConfig({ key: 'chat:messaging:sdk' });
    expect(read.config).toMatchObject({ key: 'chat:messaging:sdk', llm_config: { app_context: 'Support chat' }, velocity_filter_config: { rules: [{ action: 'ban', ban_duration: 30 }] } });

    // An upsert replaces the config whole: sections left out are gone, created_at stays.
    const { config: replaced } = await client.moderation.upsertConfig({ key: 'chat:messaging:sdk', async: true, ai_text_config: { enabled: false } });
    expect(replaced).toMatchObject({ async: true, ai_text_config: { enabled: false } });
    expect(replaced!.block_list_config).toBeUndefined();
    expect(replaced!.created_at).toEqual(config!.created_at);

    await client.moderation.deleteConfig({ key: 'chat:messaging:sdk' });
    const gone = await failure(client.moderation.getConfig({ key: 'chat:messaging:sdk' }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
    const again = await failure(client.moderation.deleteConfig({ key: 'chat:messaging:sdk' }));
    expect([again.code, again.metadata.responseCode]).toEqual([16, 404]);
  });

  it('keeps configs of the same key apart by team', async () => {
    await client.moderation.upsertConfig({ key: 'chat:team-sdk', team: 'blue', async: true });
    await client.moderation.upsertConfig({ key: 'chat:team-sdk' });
    expect((await client.moderation.getConfig({ key: 'chat:team-sdk', team: 'blue' })).config!.async).toBe(true);
    expect((await client.moderation.getConfig({ key: 'chat:team-sdk' })).config!.async).toBe(false);
    const red = await failure(client.moderation.getConfig({ key: 'chat:team-sdk', team: 'red' }));
    expect(red.metadata.responseCode).toBe(404);
  });

  it('refuses a config whose block-list rule names no block list', async () => {
    const refused = await failure(client.moderation.upsertConfig({ key: 'chat:bad', block_list_config: { rules: [{ name: 'no-such-list', action: 'flag' }] } }));
    expect([refused.code, refused.metadata.responseCode]).toEqual([4, 400]);
    expect((refused as unknown as Error).message).toContain('block list "no-such-list" does not exist');
    expect((await failure(client.moderation.getConfig({ key: 'chat:bad' }))).metadata.responseCode).toBe(404);
  });

  it('upserts a rule by name, keeping its id, reads and deletes it, then answers 404', async () => {
    await client.moderation.upsertConfig({ key: 'chat:rules-sdk' });
    const { rule } = await client.moderation.upsertModerationRule({
      name: 'sdk-repeat-offenders',
      rule_type: 'user',
      config_keys: ['chat:rules-sdk'],
      logic: 'AND',
      conditions: [{ type: 'user_flag_count', user_flag_count_rule_params: { threshold: 3 } }],
      action: { type: 'ban_user', ban_options: { duration: 60 } },
      cooldown_period: '24h',
    });
    expect(rule).toMatchObject({ name: 'sdk-repeat-offenders', rule_type: 'user', enabled: true, description: '', team: '', config_keys: ['chat:rules-sdk'], cooldown_period: '24h' });
    expect(rule!.id).toBeTruthy();
    expect(rule!.created_at).toBeInstanceOf(Date);

    const { rule: updated } = await client.moderation.upsertModerationRule({ name: 'sdk-repeat-offenders', rule_type: 'content', enabled: false, description: 'Now content' });
    expect(updated).toMatchObject({ id: rule!.id, rule_type: 'content', enabled: false, description: 'Now content', config_keys: [] });
    expect(updated!.action).toBeUndefined();
    expect((await client.moderation.getModerationRule({ id: rule!.id })).rule).toMatchObject({ id: rule!.id, description: 'Now content' });

    await client.moderation.deleteModerationRule({ id: rule!.id });
    const gone = await failure(client.moderation.getModerationRule({ id: rule!.id }));
    expect([gone.code, gone.metadata.responseCode]).toEqual([16, 404]);
    const again = await failure(client.moderation.deleteModerationRule({ id: rule!.id }));
    expect([again.code, again.metadata.responseCode]).toEqual([16, 404]);
  });

  it('pages through configs and rules with next and prev', async () => {
    for (const n of [1, 2, 3, 4, 5]) {
      await client.moderation.upsertConfig({ key: `page:${n}`, team: 'paging' });
      await client.moderation.upsertModerationRule({ name: `page-${n}`, rule_type: 'content', team: 'paging' });
    }
    const configs = async (next?: string, prev?: string) =>
      client.moderation.queryModerationConfigs({ filter: { team: 'paging' }, sort: [{ field: 'key', direction: 1 }], limit: 2, next, prev });
    const p1 = await configs();
    expect(p1.configs.map((c) => c.key)).toEqual(['page:1', 'page:2']);
    expect(p1.prev).toBeUndefined();
    const p2 = await configs(p1.next);
    expect(p2.configs.map((c) => c.key)).toEqual(['page:3', 'page:4']);
    const p3 = await configs(p2.next);
    expect(p3.configs.map((c) => c.key)).toEqual(['page:5']);
    expect(p3.next).toBeUndefined();
    expect((await configs(undefined, p3.prev)).configs.map((c) => c.key)).toEqual(['page:3', 'page:4']);

    const rules = await client.moderation.queryModerationRules({ filter: { team: { $eq: 'paging' }, name: { $in: ['page-2', 'page-4'] } }, sort: [{ field: 'name', direction: -1 }] });
    expect(rules.rules.map((r) => r.name)).toEqual(['page-4', 'page-2']);
    expect(rules.closed_caption_labels.length).toBeGreaterThan(0);
    const bad = await failure(client.moderation.queryModerationRules({ filter: { colour: 'red' } }));
    expect([bad.code, bad.metadata.responseCode]).toEqual([4, 400]);
  });
});
