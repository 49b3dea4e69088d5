import { describe, expect, it } from 'vitest';
import { seedUser } from '../contract/data.cases.js';
import { useEmulator } from '../support/emulator.js';
import { failure, sdkClient } from '../support/sdk.js';

/** Round trips through the official Node SDK: what it sends, the emulator accepts; what the emulator answers, it decodes. */
describe('official Node SDK: user groups, polls, imports, uploads, OG', () => {
  const env = useEmulator();
  const client = () => sdkClient(env.emu);

  it('manages a user group and its members', async () => {
    const c = client();
    seedUser(env.emu, 'sdk-ann');
    seedUser(env.emu, 'sdk-bob');
    const created = await c.createUserGroup({ id: 'sdk-group', name: 'SDK', description: 'first', member_ids: ['sdk-ann'] });
    expect(created.user_group?.created_at).toBeInstanceOf(Date);
    const dup = await failure(c.createUserGroup({ id: 'sdk-group', name: 'again' }));
    expect([dup.code, dup.metadata?.responseCode]).toEqual([4, 400]);

    expect((await c.listUserGroups({ limit: 10 })).user_groups.map((g) => g.id)).toContain('sdk-group');
    await c.updateUserGroup({ id: 'sdk-group', name: 'SDK renamed' });
    await c.addUserGroupMembers({ id: 'sdk-group', member_ids: ['sdk-bob'], as_admin: true });
    await c.removeUserGroupMembers({ id: 'sdk-group', member_ids: ['sdk-ann'] });
    const got = await c.getUserGroup({ id: 'sdk-group' });
    expect(got.user_group).toMatchObject({ name: 'SDK renamed', description: 'first' });
    expect(got.user_group?.members?.map((m) => [m.user_id, m.is_admin])).toEqual([['sdk-bob', true]]);
    expect((await c.searchUserGroups({ query: 'sdk' })).user_groups.map((g) => g.id)).toEqual(['sdk-group']);

    await c.deleteUserGroup({ id: 'sdk-group' });
    const gone = await failure(c.getUserGroup({ id: 'sdk-group' }));
    expect([gone.code, gone.metadata?.responseCode]).toEqual([16, 404]);
  });

  it('manages a poll and its options', async () => {
    const c = client();
    const { poll } = await c.createPoll({ name: 'SDK poll', user_id: 'sdk-ann', options: [{ text: 'a' }, { text: 'b' }], max_votes_allowed: 2 });
    expect(poll.created_at).toBeInstanceOf(Date);
    const updated = await c.updatePoll({ id: poll.id, name: 'SDK poll 2', options: poll.options.map((o) => ({ id: o.id, text: o.text.toUpperCase() })) });
    expect(updated.poll.options.map((o) => o.text)).toEqual(['A', 'B']);
    await c.updatePollPartial({ poll_id: poll.id, set: { is_closed: true } });

    const option = await c.createPollOption({ poll_id: poll.id, text: 'C' });
    const dup = await failure(c.createPollOption({ poll_id: poll.id, text: 'C' }));
    expect(dup.code).toBe(4);
    await c.updatePollOption({ poll_id: poll.id, id: option.poll_option.id, text: 'C!' });
    expect((await c.getPollOption({ poll_id: poll.id, option_id: option.poll_option.id })).poll_option.text).toBe('C!');
    await c.deletePollOption({ poll_id: poll.id, option_id: option.poll_option.id });

    expect((await c.getPoll({ poll_id: poll.id })).poll).toMatchObject({ name: 'SDK poll 2', is_closed: true });
    const queried = await c.queryPolls({ filter: { id: poll.id }, limit: 5 });
    expect(queried.polls.map((p) => p.id)).toEqual([poll.id]);
    expect((await c.queryPollVotes({ poll_id: poll.id })).votes).toEqual([]);

    await c.deletePoll({ poll_id: poll.id });
    const gone = await failure(c.getPoll({ poll_id: poll.id }));
    expect([gone.code, gone.metadata?.responseCode]).toEqual([16, 404]);
  });

  it('runs imports, v1 and v2', async () => {
    const c = client();
    const url = await c.createImportURL({ filename: 'sdk.jsonl' });
    const { import_task } = await c.createImport({ path: url.path, mode: 'insert' });
    expect((await c.getImport({ id: import_task!.id })).import_task?.state).toBe('completed');
    expect((await c.listImports()).import_tasks.map((t) => t.id)).toContain(import_task!.id);

    const v2 = await c.createImportV2Task({ product: 'chat', settings: { path: url.path, mode: 'upsert' } });
    expect((await c.getImportV2Task({ id: v2.id })).id).toBe(v2.id);
    expect((await c.listImportV2Tasks()).import_tasks.map((t) => t.id)).toContain(v2.id);
    const notQueued = await failure(c.deleteImportV2Task({ id: v2.id }));
    expect(notQueued.code).toBe(4);
    const missing = await failure(c.cancelImportV2Task({ id: 'nope' }));
    expect(missing.code).toBe(16);
  });

  it('uploads a file and an image given as Files, and deletes them', async () => {
    const c = client();
    const file = new File(['hello'], 'hello.txt', { type: 'text/plain' });
    const uploaded = await c.uploadFile({ file, user: { id: 'sdk-ann' } });
    expect(uploaded.file).toMatch(/hello\.txt$/);
    expect(env.emu.app().uploads.get(uploaded.file!)?.user_id).toBe('sdk-ann');
    await c.deleteFile({ url: uploaded.file });
    // Without a user the SDK sends the text "undefined" for it.
    expect((await c.uploadFile({ file })).file).toBeTruthy();

    const image = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])], 'pic.png', { type: 'image/png' });
    const img = await c.uploadImage({ file: image, upload_sizes: [{ width: 64, height: 64, resize: 'scale' }] });
    expect(img.thumb_url).toBeTruthy();
    expect(img.upload_sizes).toEqual([{ width: 64, height: 64, resize: 'scale' }]);
    await c.deleteImage({ url: img.file });
    const gone = await failure(c.deleteImage({ url: img.file }));
    expect(gone.code).toBe(16);

    const noFile = await failure(c.uploadFile({ file: 'just text' as unknown as File }));
    expect([noFile.code, noFile.metadata?.responseCode]).toEqual([4, 400]);
  });

  it('takes a JPEG sent as application/octet-stream as an image and refuses a text file named .jpg', async () => {
    const c = client();
    const jpeg = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1])], 'photo', { type: 'application/octet-stream' });
    expect((await c.uploadImage({ file: jpeg })).file).toBeTruthy();
    const fake = await failure(c.uploadImage({ file: new File(['just some text'], 'photo.jpg', { type: 'image/jpeg' }) }));
    expect([fake.code, fake.metadata.responseCode, (fake as unknown as Error).message]).toEqual([4, 400, expect.stringContaining('is not an image')]);
  });

  it('gets OpenGraph data', async () => {
    const og = await client().getOG({ url: 'https://getstream.io/chat/' });
    expect(og).toMatchObject({ title: 'Chat', author_name: 'getstream.io', custom: {} });
  });
});
