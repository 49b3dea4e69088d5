import { beforeAll, describe, expect, it } from 'vitest';
import { TestApi } from '../support/api.js';
import { useEmulator } from '../support/emulator.js';
import { loadSpec, type Spec } from '../support/spec.js';
import { cases as appCases } from './app.cases.js';
import { cases as chatCases } from './chat.cases.js';
import { cases as configCases } from './config.cases.js';
import { cases as dataCases } from './data.cases.js';
import { cases as moderationCases } from './moderation.cases.js';
import { cases as userCases } from './users.cases.js';
import { cases as videoCases } from './video.cases.js';
import type { ContractCases, ContractEnv } from './types.js';

const spec = loadSpec();
const chatSpec = loadSpec('chat');
const moderationSpec = loadSpec('moderation');
/** Case files validated against the video spec (the common operations and video's), the chat spec and the moderation spec. */
const videoCaseFiles: ContractCases[] = [appCases, configCases, userCases, dataCases, videoCases];
const caseFiles: ContractCases[] = [...videoCaseFiles, chatCases, moderationCases];

/** The video operations the emulator serves beyond the common API (tag product:video): call types and SIP. */
const VIDEO_OPS = [
  'ListCallTypes', 'CreateCallType', 'GetCallType', 'UpdateCallType', 'DeleteCallType',
  'ListSIPTrunks', 'CreateSIPTrunk', 'UpdateSIPTrunk', 'DeleteSIPTrunk',
  'ListSIPInboundRoutingRule', 'CreateSIPInboundRoutingRule', 'UpdateSIPInboundRoutingRule', 'DeleteSIPInboundRoutingRule',
  'ResolveSipInbound',
];
/** The chat operations the emulator serves (tag product:chat of the chat spec): channel types and commands. */
const CHAT_OPS = [
  'ListChannelTypes', 'CreateChannelType', 'GetChannelType', 'UpdateChannelType', 'DeleteChannelType',
  'ListCommands', 'CreateCommand', 'GetCommand', 'UpdateCommand', 'DeleteCommand',
];
/** The moderation operations the emulator serves (tag product:moderation of the moderation spec): configs and rules. */
const MODERATION_OPS = [
  'upsert_config', 'get_config', 'delete_config', 'query_moderation_configs',
  'upsert_moderation_rule', 'get_moderation_rule', 'delete_moderation_rule', 'query_moderation_rules',
];
const allCases: ContractCases = Object.assign({}, ...caseFiles);

describe.skipIf(!spec || !chatSpec || !moderationSpec)('emulator contract against the official OpenAPI specs', () => {
  const env = useEmulator();
  /** A client validating against the chat spec, for the chat operations. */
  const chat = {} as ContractEnv;
  /** And one validating against the moderation spec. */
  const moderation = {} as ContractEnv;
  beforeAll(() => {
    Object.assign(chat, { emu: env.emu, api: new TestApi(env.emu, chatSpec) });
    Object.assign(moderation, { emu: env.emu, api: new TestApi(env.emu, moderationSpec) });
  });
  const served: { op: string; method: string; path: string; spec: Spec }[] =
    spec && chatSpec && moderationSpec
      ? [
          ...[...spec.commonOps, ...VIDEO_OPS.map((op) => spec.operation(op))].map((o) => ({ ...o, spec })),
          ...CHAT_OPS.map((op) => ({ ...chatSpec.operation(op), spec: chatSpec })),
          ...MODERATION_OPS.map((op) => ({ ...moderationSpec.operation(op), spec: moderationSpec })),
        ]
      : [];

  it('serves exactly the spec\'s common operations and the video, chat and moderation operations listed, with the specs\' methods and paths', () => {
    expect(VIDEO_OPS.map((op) => spec!.operation(op).raw.tags)).toEqual(VIDEO_OPS.map(() => ['product:video']));
    expect(CHAT_OPS.map((op) => chatSpec!.operation(op).raw.tags)).toEqual(CHAT_OPS.map(() => ['product:chat']));
    expect(MODERATION_OPS.map((op) => moderationSpec!.operation(op).raw.tags)).toEqual(MODERATION_OPS.map(() => ['product:moderation']));
    // The chat spec's common operations are the video spec's: the emulator serves them once.
    const common = (s: Spec) => s.commonOps.map((o) => `${o.op} ${o.method} ${o.path}`).sort();
    expect(common(chatSpec!)).toEqual(common(spec!));
    const routes = env.emu.routes.map((r) => `${r.op} ${r.method} ${r.path}`).sort();
    const documented = served.map((o) => `${o.op} ${o.method} ${o.path}`).sort();
    expect(routes).toEqual(documented);
  });

  it('has exactly one contract case per served operation', () => {
    const names = caseFiles.flatMap((c) => Object.keys(c));
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(served.map((o) => o.op).sort());
    expect(Object.keys(chatCases).sort()).toEqual([...CHAT_OPS].sort());
    expect(Object.keys(moderationCases).sort()).toEqual([...MODERATION_OPS].sort());
  });

  for (const { op, spec: opSpec } of served) {
    it(`${op}: success and error responses match the spec`, async (ctx) => {
      const run = allCases[op];
      if (!run) return ctx.skip();
      const target = opSpec === chatSpec ? chat : opSpec === moderationSpec ? moderation : env;
      await run(target);
      const seen = [...target.api.validated].filter((v) => v.startsWith(`${op} `)).map((v) => Number(v.split(' ')[1]));
      expect(seen.some((s) => s >= 200 && s < 300), `${op}: no successful response was validated`).toBe(true);
      expect(seen.some((s) => s >= 400 && s < 500), `${op}: no error response was validated`).toBe(true);
    });
  }
});
