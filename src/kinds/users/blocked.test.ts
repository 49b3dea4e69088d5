import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../../test/support/spec.js';
import type { DesiredObject, Rec } from '../../core/model.js';
import { blockedUserKind, blockedUserLive } from './blocked.js';
import type { Api, ApiRequest } from '../../core/api.js';
import { withDeclaredLists } from './satellites.js';

const spec = loadSpec();
const desired = (kind: string, address: string, fields: Rec): DesiredObject => ({ kind, address, fields, sensitive: [] });
const block = (user_id: string, blocked_user_id: string) => desired('blocked_user', `blocked_user/${user_id}/${blocked_user_id}`, { user_id, blocked_user_id });

describe('blocked user requests', () => {
  it('blocks with BlockUsers and unblocks with UnblockUsers, server-side on behalf of the user', () => {
    const want = block('bot', 'spammer');
    const create = blockedUserKind.requests({ action: 'create', address: want.address, desired: want, fields: [] });
    const live = blockedUserLive({ user_id: 'bot', blocked_user_id: 'spammer', created_at: '2026-01-01T00:00:00.000Z' });
    const remove = blockedUserKind.requests({ action: 'delete', address: live.address, live, fields: [] });
    expect(create).toEqual([{ op: 'BlockUsers', method: 'POST', path: '/api/v2/users/block', body: { user_id: 'bot', blocked_user_id: 'spammer' }, idempotent: true }]);
    expect(remove).toEqual([{ op: 'UnblockUsers', method: 'POST', path: '/api/v2/users/unblock', body: { user_id: 'bot', blocked_user_id: 'spammer' }, idempotent: true }]);
    if (spec) for (const r of [...create, ...remove]) expect(spec.validateRequest(r.op, r.body)).toEqual([]);
  });

  it('is all identity: addressed by both ids, and refers to both users', () => {
    expect(blockedUserLive({ user_id: 'bot', blocked_user_id: 'spammer', user: {}, blocked_user: {} })).toEqual({
      kind: 'blocked_user',
      address: 'blocked_user/bot/spammer',
      fields: { user_id: 'bot', blocked_user_id: 'spammer' },
    });
    expect(blockedUserKind.refs!({ user_id: 'bot', blocked_user_id: 'spammer' })).toEqual(['user/bot', 'user/spammer']);
  });
});

describe('blocked user fetch', () => {
  it('reads GetBlockedUsers for existing users that declare blocked_users (all of them when pruning); blocks of deleted users are not live', async () => {
    const sent: ApiRequest[] = [];
    const api: Api = {
      send: async <T>(req: ApiRequest) => {
        sent.push(req);
        if (req.op === 'QueryUsers') {
          const ids = ((req.query!.payload as Rec).filter_conditions as { id: { $in: string[] } }).id.$in;
          return { users: ids.filter((id) => id !== 'ghost').map((id) => ({ id })) } as T;
        }
        return {
          blocks: [
            { user_id: req.query!.user_id, blocked_user_id: 'troll', created_at: '2026-01-01T00:00:00.000Z', blocked_user: { id: 'troll' } },
            // A block of a deleted user: the API keeps it but refuses to unblock it until the user is restored.
            { user_id: req.query!.user_id, blocked_user_id: 'gone', created_at: '2026-01-01T00:00:00.000Z', blocked_user: { id: 'gone', deleted_at: '2026-01-02T00:00:00.000Z' } },
          ],
        } as T;
      },
    };
    const users = [
      desired('user', 'user/bot', withDeclaredLists({ id: 'bot' }, ['blocked_users'])),
      desired('user', 'user/empty', withDeclaredLists({ id: 'empty' }, ['blocked_users'])),
      desired('user', 'user/other', withDeclaredLists({ id: 'other' }, [])),
      desired('user', 'user/ghost', withDeclaredLists({ id: 'ghost' }, ['blocked_users'])),
    ];
    const declared = [block('bot', 'spammer'), block('ghost', 'spammer')];
    const partial = await blockedUserKind.fetch(api, declared, { complete: false, all: [...users, ...declared] });
    expect(partial.map((l) => l.address)).toEqual(['blocked_user/bot/troll']);
    sent.length = 0;
    const complete = await blockedUserKind.fetch(api, declared, { complete: true, all: [...users, ...declared] });
    expect(complete.map((l) => l.address)).toEqual(['blocked_user/bot/troll', 'blocked_user/empty/troll']);
    expect(sent.filter((r) => r.op === 'GetBlockedUsers').map((r) => r.query)).toEqual([{ user_id: 'bot' }, { user_id: 'empty' }]);
  });
});
