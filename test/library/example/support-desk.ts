import type { StreamClient } from '@stream-io/node-sdk';

/**
 * A small Stream integration, as a team's backend might have one, written with the official SDK: it sets up a
 * tenant's support desk (a role for its agents, a block list, the agents as users) and can run again safely.
 */
export async function provisionSupportDesk(client: StreamClient, tenant: string, agents: string[]): Promise<void> {
  const role = `${tenant}-agent`;
  const { roles } = await client.listRoles();
  if (!roles.some((r) => r.name === role)) await client.createRole({ name: role });

  const blocklist = `${tenant}-banned`;
  const { blocklists } = await client.listBlockLists({});
  if (!blocklists.some((b) => b.name === blocklist)) await client.createBlockList({ name: blocklist, words: ['scam'], type: 'word' });

  await client.upsertUsers(agents.map((id) => ({ id, role, custom: { tenant } })));
}
