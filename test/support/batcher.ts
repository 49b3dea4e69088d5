import type { ChangeBatcher } from '../../src/kinds/types.js';
import type { Api } from '../../src/core/api.js';
import type { PlannedChange } from '../../src/plan/plan.js';

/** Runs a batcher as the executor does and collects what it reported: address → error, for the changes that failed. */
export async function batchErrors(batcher: ChangeBatcher, changes: readonly PlannedChange[], api: Api): Promise<Map<string, string>> {
  const errors = new Map<string, string>();
  const reported = new Set<string>();
  await batcher.run(changes, api, (address, error) => {
    if (reported.has(address)) throw new Error(`${address} was reported twice`);
    reported.add(address);
    if (error !== undefined) errors.set(address, error);
  });
  const silent = changes.filter((c) => !reported.has(c.address)).map((c) => c.address);
  if (silent.length) throw new Error(`the batcher never reported ${silent.join(', ')}`);
  return errors;
}
