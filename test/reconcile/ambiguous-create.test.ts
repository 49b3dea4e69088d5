import { afterEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { harness } from '../support/reconcile.js';

const FILE = 'version: 1\nroles:\n  - name: agent\nblocklists:\n  - name: banned\n    words: [scam]\n';

describe('a create that may have happened is re-read, never blindly re-sent', () => {
  const env = useEmulator();
  afterEach(() => env.emu.faults.clear());
  const count = (op: string, from: number) => env.emu.requests.slice(from).filter((r) => r.op === op).length;
  const lists = () => [...env.emu.app().blocklists.values()].filter((b) => b.name === 'banned').length;

  it('finds the object when the answer to its create was lost, and does not send the create again', async () => {
    const h = harness(env.emu);
    const from = env.emu.requests.length;
    env.emu.faults.configure({ rules: [{ kind: 'error', status: 503, op: 'CreateBlockList', when: 'after', times: 1 }, { kind: 'reset', op: 'CreateRole', when: 'after', times: 1 }] });
    const r = await h.apply(FILE);
    await h.close();
    expect(r.result.failed).toEqual([]);
    expect(count('CreateBlockList', from)).toBe(1);
    expect(count('GetBlockList', from)).toBe(1);
    expect(count('CreateRole', from)).toBe(1);
    expect(lists()).toBe(1);
    expect(r.notConverged).toEqual([]);
  });

  it('sends the create once more when the re-read shows it did not happen', async () => {
    env.emu.app().blocklists.clear();
    env.emu.app().roles.delete('agent');
    const h = harness(env.emu);
    const from = env.emu.requests.length;
    env.emu.faults.configure({ rules: [{ kind: 'error', status: 503, op: 'CreateBlockList', times: 1 }] });
    const r = await h.apply(FILE);
    await h.close();
    expect(r.result.failed).toEqual([]);
    expect(count('CreateBlockList', from)).toBe(2);
    expect(lists()).toBe(1);
  });

  it('reports the change as failed, without re-reading, when the create was refused (4xx)', async () => {
    env.emu.app().blocklists.clear();
    const h = harness(env.emu);
    const from = env.emu.requests.length;
    env.emu.faults.configure({ rules: [{ kind: 'error', status: 400, op: 'CreateBlockList' }] });
    const r = await h.apply(FILE);
    await h.close();
    expect(r.result.failed.map((f) => f.address)).toEqual(['blocklist/banned']);
    expect(count('CreateBlockList', from)).toBe(1);
    expect(count('GetBlockList', from)).toBe(0);
  });
});
