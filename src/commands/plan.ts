import { writeFileSync } from 'node:fs';
import type { DesiredState } from '../core/model.js';
import { type PlanFormat, renderJson, renderPlan } from '../plan/render/index.js';
import { planFor } from '../runtime/engine.js';
import type { Session } from '../runtime/session.js';
import type { Output } from './output.js';

export interface PlanFlags {
  format: PlanFormat;
  out?: string;
  detailedExitcode: boolean;
  targets: string[];
}

/** `plan`: 0 no changes (or changes without --detailed-exitcode), 2 changes with it. Errors throw (exit 1). */
export async function runPlan(desired: DesiredState, flags: PlanFlags, session: Pick<Session, 'deps' | 'client'>, out: Output): Promise<number> {
  await session.client.seedFromApi();
  const { plan } = await planFor(session.deps, desired, { targets: flags.targets });
  out.stdout(renderPlan(plan.document, flags.format, { color: out.color }));
  if (flags.out) writeFileSync(flags.out, renderJson(plan.document), { mode: 0o600 });
  return flags.detailedExitcode && plan.document.changes.length > 0 ? 2 : 0;
}
