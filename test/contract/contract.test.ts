import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { loadSpec } from '../support/spec.js';
import { cases as appCases } from './app.cases.js';
import { cases as configCases } from './config.cases.js';
import { cases as dataCases } from './data.cases.js';
import { cases as userCases } from './users.cases.js';
import { cases as videoCases } from './video.cases.js';
import type { ContractCases } from './types.js';

const spec = loadSpec();
const caseFiles: ContractCases[] = [appCases, configCases, userCases, dataCases, videoCases];

/** The video operations the emulator serves beyond the common API (tag product:video): call types and SIP. */
const VIDEO_OPS = [
  'ListCallTypes', 'CreateCallType', 'GetCallType', 'UpdateCallType', 'DeleteCallType',
  'ListSIPTrunks', 'CreateSIPTrunk', 'UpdateSIPTrunk', 'DeleteSIPTrunk',
  'ListSIPInboundRoutingRule', 'CreateSIPInboundRoutingRule', 'UpdateSIPInboundRoutingRule', 'DeleteSIPInboundRoutingRule',
  'ResolveSipInbound',
];
const allCases: ContractCases = Object.assign({}, ...caseFiles);

describe.skipIf(!spec)('emulator contract against the official OpenAPI spec', () => {
  const env = useEmulator();
  const servedOps = spec ? [...spec.commonOps, ...VIDEO_OPS.map((op) => spec.operation(op))] : [];

  it('serves exactly the spec\'s common operations and the video operations listed, with the spec\'s methods and paths', () => {
    expect(VIDEO_OPS.map((op) => spec!.operation(op).raw.tags)).toEqual(VIDEO_OPS.map(() => ['product:video']));
    const served = env.emu.routes.map((r) => `${r.op} ${r.method} ${r.path}`).sort();
    const documented = servedOps.map((o) => `${o.op} ${o.method} ${o.path}`).sort();
    expect(served).toEqual(documented);
  });

  it('has exactly one contract case per served operation', () => {
    const names = caseFiles.flatMap((c) => Object.keys(c));
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(servedOps.map((o) => o.op).sort());
  });

  for (const { op } of servedOps) {
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
