import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { loadSpec } from '../support/spec.js';
import { cases as appCases } from './app.cases.js';
import { cases as configCases } from './config.cases.js';
import { cases as dataCases } from './data.cases.js';
import { cases as userCases } from './users.cases.js';
import type { ContractCases } from './types.js';

const spec = loadSpec();
const caseFiles: ContractCases[] = [appCases, configCases, userCases, dataCases];
const allCases: ContractCases = Object.assign({}, ...caseFiles);

describe.skipIf(!spec)('emulator contract against the official OpenAPI spec', () => {
  const env = useEmulator();
  const commonOps = spec?.commonOps ?? [];

  it('serves exactly the spec\'s common operations, with the spec\'s methods and paths', () => {
    const served = env.emu.routes.map((r) => `${r.op} ${r.method} ${r.path}`).sort();
    const documented = commonOps.map((o) => `${o.op} ${o.method} ${o.path}`).sort();
    expect(served).toEqual(documented);
  });

  it('has exactly one contract case per common operation', () => {
    const names = caseFiles.flatMap((c) => Object.keys(c));
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(commonOps.map((o) => o.op).sort());
  });

  for (const { op } of commonOps) {
    it(`${op}: success and error responses match the spec`, async (ctx) => {
      const run = allCases[op];
      if (!run) return ctx.skip();
      await run(env);
      const seen = [...env.api.validated].filter((v) => v.startsWith(`${op} `)).map((v) => Number(v.split(' ')[1]));
      expect(seen.some((s) => s >= 200 && s < 300), `${op}: no successful response was validated`).toBe(true);
      expect(seen.some((s) => s >= 400 && s < 500), `${op}: no error response was validated`).toBe(true);
    });
  }
});
