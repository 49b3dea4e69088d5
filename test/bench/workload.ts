import { stringify } from 'yaml';
import { UPDATE_ONLY } from '../../src/kinds/chat/channel-type-schema.js';
import { TEMPLATE_EVENT_TYPES } from '../../src/kinds/push/providers.js';

/**
 * The benchmark's app: a desired-state document at Stream's published quotas (or a scaled-down copy for
 * `--quick`), generated from a seed so every run plans the same objects, and its 1 % drift.
 */
export interface Scale {
  /** Declared block lists. Every app also has the built-in `profanity_en_2020_v1`, which counts towards the quota of 15. */
  blocklists: number;
  wordsPerList: number;
  roles: number;
  /** Permission ids granted to each custom role (app.settings.grants). */
  grantsPerRole: number;
  pushProviders: number;
  externalStorages: number;
  /** Custom call types (Stream Video). No quota is published: 50, as the issue asks. */
  callTypes: number;
  /** Custom chat commands, named by the channel types. */
  commands: number;
  /** Custom chat channel types; the built-in messaging and livestream types are declared (updated) besides them. */
  channelTypes: number;
  /** Moderation rules, each naming moderation configs (one config per custom channel type and `chat:messaging`). */
  moderationRules: number;
  userGroups: number;
  membersPerGroup: number;
  users: number;
}

/** Stream's published quotas: 15 block lists in total (14 declared + the built-in one) × 10,000 words, 25 custom roles, 25 push providers. */
export const FULL_SCALE: Scale = {
  blocklists: 14,
  wordsPerList: 10_000,
  roles: 25,
  grantsPerRole: 6,
  pushProviders: 25,
  externalStorages: 5,
  callTypes: 50,
  commands: 10,
  channelTypes: 20,
  moderationRules: 10,
  userGroups: 2_000,
  membersPerGroup: 50,
  users: 5_000,
};

/** Every kind present, small enough for the whole `--quick` run (ours and the baseline) to take under two minutes. */
export const QUICK_SCALE: Scale = {
  blocklists: 3,
  wordsPerList: 1_000,
  roles: 5,
  grantsPerRole: 6,
  pushProviders: 3,
  externalStorages: 2,
  callTypes: 3,
  commands: 3,
  channelTypes: 4,
  moderationRules: 3,
  userGroups: 40,
  membersPerGroup: 20,
  users: 150,
};

/** The share of each kind's objects that the drift changes (at least one object of each kind). */
export const DRIFT_SHARE = 0.01;

/** Built-in permission ids (every app has them), granted to the custom roles. */
const PERMISSIONS = [
  'read-channel',
  'read-channel-members',
  'create-message',
  'update-message-owner',
  'delete-message-owner',
  'create-reaction',
  'delete-reaction-owner',
  'upload-attachment',
  'flag-message',
  'mute-channel',
  'pin-message',
  'create-mention',
] as const;

/** Built-in video permission ids, granted to the custom roles in each call type. */
const CALL_PERMISSIONS = ['join-call', 'send-audio', 'send-video', 'screenshare', 'read-call', 'create-call', 'start-recording', 'stop-recording'] as const;

/** Built-in channel-level permission ids, granted per role in the chat channel types. */
const CHANNEL_PERMISSIONS = ['read-channel', 'create-message', 'update-message-owner', 'delete-message-owner', 'create-reaction', 'upload-attachment', 'pin-message', 'flag-message'] as const;

/** The built-in channel types the workload declares (updates of what every app has), besides its custom ones. */
export const BUILTIN_CHANNEL_TYPES_DECLARED = ['messaging', 'livestream'] as const;

const TEMPLATE = '{"title": "{{ sender.name }}", "body": "{{ message.text }}"}';
/** A service-account-shaped JSON: the emulator checks that Firebase credentials are a JSON object, nothing more. */
const FIREBASE_CREDENTIALS = JSON.stringify({ type: 'service_account', project_id: 'bench', private_key_id: 'bench', client_email: 'bench@bench.iam.gserviceaccount.com' });

type Doc = Record<string, unknown> & {
  blocklists: { name: string; type: string; words: string[] }[];
  app: { expect_name: string; settings: { grants: Record<string, string[]> } };
  roles: { name: string }[];
  push_providers: { type: string; name: string; description: string; firebase_credentials: string; templates: { event_type: string; enable_push: boolean; template: string }[] }[];
  external_storages: { name: string; storage_type: string; bucket: string; path: string; aws_s3: { s3_region: string } }[];
  call_types: { name: string; settings: { audio: { default_device: string; mic_default_on: boolean }; recording: { mode: string; quality: string }; limits: { max_participants: number } }; grants: Record<string, string[]> }[];
  commands: { name: string; description: string; args: string; set: string }[];
  channel_types: ChannelType[];
  moderation_configs: ModerationConfig[];
  moderation_rules: ModerationRule[];
  users: { id: string; name: string; role: string; custom: Record<string, unknown> }[];
  user_groups: { id: string; name: string; description: string; members: string[] }[];
};

/** A chat channel type as the file declares it (a subset of its fields, the API's names). */
export type ChannelType = { name: string; max_message_length: number; commands: string[]; grants: Record<string, string[]> } & Record<string, unknown>;

/** A moderation config as the file declares it: block-list rules, automod toxicity thresholds, sometimes LLM labels. */
export type ModerationConfig = {
  key: string;
  block_list_config?: { enabled: boolean; rules: { name: string; action: string }[] };
  automod_toxicity_config: { enabled: boolean; rules: { label: string; threshold: number; action: string }[] };
  llm_config?: { enabled: boolean; app_context: string; rules: { label: string; action: string }[] };
};

/** A moderation rule as the file declares it: conditions on a user's or a message's history, an action, its configs. */
export type ModerationRule = {
  name: string;
  rule_type: string;
  description: string;
  config_keys: string[];
  logic: string;
  conditions: Record<string, unknown>[];
  action: { type: string; reason?: string; ban_options?: { duration: number } };
  cooldown_period: string;
};

/** Whether creating the channel type takes CreateChannelType and then UpdateChannelType (fields Create does not take). */
export const createsInTwo = (t: ChannelType) => UPDATE_ONLY.some((k) => t[k] !== undefined) || t.automod_behavior === 'shadow_block';

export interface Workload {
  scale: Scale;
  /** The desired-state document (the API's field names, as a user writes it). */
  doc: Doc;
  /** Declared objects per kind, for the lower bound and the report. */
  counts: {
    blocklists: number;
    words: number;
    roles: number;
    pushProviders: number;
    pushTemplates: number;
    externalStorages: number;
    callTypes: number;
    commands: number;
    /** Declared channel types: the custom ones and the built-ins updated. */
    channelTypes: number;
    /** Custom channel types whose create is CreateChannelType + UpdateChannelType. */
    channelTypesCreatedInTwo: number;
    /** Built-in channel types declared (updated, never created). */
    builtinChannelTypes: number;
    moderationConfigs: number;
    moderationRules: number;
    userGroups: number;
    members: number;
    users: number;
  };
}

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** `count` distinct lowercase words of 4–14 letters (block list words must be lowercase, at most 40 characters). */
function words(random: () => number, count: number, avoid: ReadonlySet<string> = new Set()): string[] {
  const out = new Set<string>();
  while (out.size < count) {
    const length = 4 + Math.floor(random() * 11);
    let w = '';
    for (let i = 0; i < length; i++) w += LETTERS[Math.floor(random() * LETTERS.length)];
    if (!avoid.has(w)) out.add(w);
  }
  return [...out];
}

/** `count` distinct items of `from`, in a random order. */
function sample<T>(random: () => number, from: readonly T[], count: number): T[] {
  const pool = [...from];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

export const roleName = (i: number) => `bench-role-${pad(i + 1, 2)}`;
const commandName = (i: number) => `bench-cmd-${pad(i + 1, 2)}`;
const blocklistName = (i: number) => `bench-list-${pad(i + 1, 2)}`;
const userId = (i: number) => `bench-user-${pad(i + 1, 5)}`;

export function generateWorkload(scale: Scale, seed = 7): Workload {
  const random = prng(seed);
  const roles = Array.from({ length: scale.roles }, (_, i) => ({ name: roleName(i) }));
  const grants = Object.fromEntries(roles.map((r) => [r.name, sample(random, PERMISSIONS, scale.grantsPerRole).sort()]));
  const userIds = Array.from({ length: scale.users }, (_, i) => userId(i));
  const doc: Doc = {
    version: 1,
    app: { expect_name: 'bench', settings: { grants } },
    blocklists: Array.from({ length: scale.blocklists }, (_, i) => ({ name: blocklistName(i), type: 'word', words: words(random, scale.wordsPerList) })),
    roles,
    push_providers: Array.from({ length: scale.pushProviders }, (_, i) => ({
      type: 'firebase',
      name: `bench-fcm-${pad(i + 1, 2)}`,
      description: `Firebase project ${i + 1}`,
      firebase_credentials: FIREBASE_CREDENTIALS,
      templates: TEMPLATE_EVENT_TYPES.map((event_type) => ({ event_type, enable_push: true, template: TEMPLATE })),
    })),
    external_storages: Array.from({ length: scale.externalStorages }, (_, i) => ({
      name: `bench-storage-${i + 1}`,
      storage_type: 's3',
      bucket: `bench-recordings-${i + 1}`,
      path: 'calls/',
      aws_s3: { s3_region: 'us-east-1' },
    })),
    call_types: Array.from({ length: scale.callTypes }, (_, i) => ({
      name: `bench-call-${pad(i + 1, 2)}`,
      settings: {
        audio: { default_device: 'speaker', mic_default_on: i % 2 === 0 },
        recording: { mode: ['available', 'auto-on', 'disabled'][i % 3]!, quality: '720p' },
        limits: { max_participants: 10 + i },
      },
      grants: Object.fromEntries(sample(random, roles, Math.min(2, roles.length)).map((r) => [r.name, sample(random, CALL_PERMISSIONS, 4).sort()])),
    })),
    commands: Array.from({ length: scale.commands }, (_, i) => ({
      name: commandName(i),
      description: `Bench command ${i + 1}: handled by the backend's webhook`,
      args: i % 2 === 0 ? '[text]' : '[@username] [text]',
      set: ['fun_set', 'support_set', 'moderation_set'][i % 3]!,
    })),
    // Generated last (below), so the other kinds come out of the seed as they did before there were any.
    channel_types: [],
    moderation_configs: [],
    moderation_rules: [],
    users: userIds.map((id, i) => ({ id, name: `Bench User ${i + 1}`, role: roles.length ? roleName(i % roles.length) : 'user', custom: { tier: i % 3, region: ['eu', 'us', 'ap'][i % 3] } })),
    user_groups: Array.from({ length: scale.userGroups }, (_, i) => ({
      id: `bench-group-${pad(i + 1, 4)}`,
      name: `Bench group ${i + 1}`,
      description: `Generated group ${i + 1}`,
      members: sample(random, userIds, Math.min(scale.membersPerGroup, userIds.length)).sort(),
    })),
    policy: { prune: ['blocklists', 'roles', 'push_providers', 'external_storages', 'call_types', 'commands', 'channel_types', 'moderation_configs', 'moderation_rules'], max_deletes: 10 },
  };
  doc.channel_types = chatChannelTypes(random, scale, roles);
  // After the chat kinds, so they (and every other kind) come out of the seed as they did before moderation.
  doc.moderation_configs = moderationConfigs(random, scale, doc.channel_types);
  doc.moderation_rules = moderationRules(random, scale, doc.moderation_configs);
  return { scale, doc, counts: countsOf(doc) };
}

/**
 * The chat configuration: `scale.channelTypes` custom channel types, each with its features, limits, automod, one of
 * the workload's block lists, custom commands (and giphy) and grants for channel members and two custom roles; every
 * other one also declares fields CreateChannelType does not take (quotes, reminders, flag reasons, AI thresholds or
 * shadow_block), so its create is CreateChannelType + UpdateChannelType. The built-in messaging and livestream types
 * are declared too: named custom commands, a block list and grants they do not have on a new app (updates).
 */
function chatChannelTypes(random: () => number, scale: Scale, roles: { name: string }[]): ChannelType[] {
  const commands = Array.from({ length: scale.commands }, (_, i) => commandName(i));
  const blocklist = (i: number) => (scale.blocklists ? { blocklist: blocklistName(i % scale.blocklists), blocklist_behavior: i % 2 === 0 ? 'flag' : 'block' } : {});
  const grants = (i: number): Record<string, string[]> => ({
    channel_member: sample(random, CHANNEL_PERMISSIONS, 4).sort(),
    ...Object.fromEntries(sample(random, roles, Math.min(2, roles.length)).map((r) => [r.name, sample(random, CHANNEL_PERMISSIONS, 3 + (i % 3)).sort()])),
  });
  const custom = Array.from({ length: scale.channelTypes }, (_, i): ChannelType => {
    const later: Record<string, unknown> = [
      { quotes: true },
      { reminders: true, allowed_flag_reasons: ['spam', 'harassment', 'off-topic'] },
      { automod: 'AI', automod_thresholds: { toxic: { flag: 0.6, block: 0.9 }, spam: { flag: 0.7 } } },
      { automod: 'simple', automod_behavior: 'shadow_block' },
    ][Math.floor(i / 2) % 4]!;
    return {
      name: `bench-chat-${pad(i + 1, 2)}`,
      typing_events: i % 3 !== 0,
      read_events: true,
      reactions: true,
      replies: i % 2 === 0,
      uploads: i % 4 !== 3,
      search: i % 5 !== 0,
      max_message_length: 1_000 + 250 * (i % 8),
      message_retention: i % 3 === 0 ? 'infinite' : String(30 * (1 + (i % 12))),
      automod: 'disabled',
      automod_behavior: 'flag',
      ...blocklist(i),
      commands: ['giphy', ...sample(random, commands, Math.min(commands.length, 2 + (i % 3)))].sort(),
      grants: grants(i),
      ...(i % 2 === 0 ? later : {}),
    };
  });
  const builtins = BUILTIN_CHANNEL_TYPES_DECLARED.map((name, i): ChannelType => ({
    name,
    ...(name === 'livestream' ? { typing_events: false, reactions: true } : { polls: true }),
    max_message_length: name === 'livestream' ? 500 : 4_000,
    ...blocklist(i),
    commands: [...(name === 'livestream' ? ['ban', 'mute', 'unban', 'unmute'] : ['giphy']), ...commands.slice(0, 2)].sort(),
    grants: { channel_member: sample(random, CHANNEL_PERMISSIONS, 5).sort() },
  }));
  return [...builtins, ...custom];
}

/** Automod toxicity labels, with thresholds and actions to pick from. */
const TOXICITY_LABELS = ['toxic', 'insult', 'threat', 'obscene', 'identity_hate', 'severe_toxic'] as const;
const FILTER_ACTIONS = ['flag', 'shadow', 'remove', 'bounce_flag'] as const;
const LLM_LABELS = ['SCAM', 'HARASSMENT', 'HATE_SPEECH', 'SPAM'] as const;

/**
 * The moderation policy: a config per custom channel type (`chat:<type>`) and one for `chat:messaging`, each with an
 * action per block list for one or two of the workload's block lists, three or four automod toxicity labels with a
 * threshold and an action each, and (every third) LLM labels with the app's context.
 */
function moderationConfigs(random: () => number, scale: Scale, channelTypes: ChannelType[]): ModerationConfig[] {
  const lists = Array.from({ length: scale.blocklists }, (_, i) => blocklistName(i));
  const keys = channelTypes.filter((t) => t.name === 'messaging' || !isBuiltinDeclared(t)).map((t) => `chat:${t.name}`);
  return keys.map((key, i): ModerationConfig => ({
    key,
    ...(lists.length
      ? { block_list_config: { enabled: true, rules: sample(random, lists, Math.min(lists.length, 1 + (i % 2))).map((name, j) => ({ name, action: j === 0 ? 'flag' : 'remove' })) } }
      : {}),
    automod_toxicity_config: {
      enabled: true,
      rules: sample(random, TOXICITY_LABELS, 3 + (i % 2)).map((label) => ({ label, threshold: Math.round((0.5 + random() * 0.45) * 100) / 100, action: FILTER_ACTIONS[Math.floor(random() * FILTER_ACTIONS.length)]! })),
    },
    ...(i % 3 === 0
      ? { llm_config: { enabled: true, app_context: `Bench chat ${key.slice(5)}: a community app; be strict with scams`, rules: sample(random, LLM_LABELS, 2).map((label) => ({ label, action: 'flag' })) } }
      : {}),
  }));
}

/** `scale.moderationRules` rules: escalations on a user's flags, or on a message's content, each under one to three configs. */
function moderationRules(random: () => number, scale: Scale, configs: ModerationConfig[]): ModerationRule[] {
  const keys = configs.map((c) => c.key);
  return Array.from({ length: scale.moderationRules }, (_, i): ModerationRule => {
    const user = i % 2 === 0;
    return {
      name: `bench-rule-${pad(i + 1, 2)}`,
      rule_type: user ? 'user' : 'content',
      description: user ? `Ban users flagged ${3 + (i % 4)} times within a day` : `Flag messages about ${['money', 'links', 'contact details', 'accounts', 'gifts'][i % 5]}`,
      config_keys: sample(random, keys, Math.min(keys.length, 1 + (i % 3))).sort(),
      logic: 'AND',
      conditions: user
        ? [{ type: 'user_flag_count', user_flag_count_rule_params: { threshold: 3 + (i % 4), time_window: '24h' } }]
        : [{ type: 'text_rule', confidence: 0.8, text_rule_params: { contains: [`bench-term-${i + 1}`] } }],
      action: user ? { type: 'ban_user', reason: 'repeated violations', ban_options: { duration: 60 * (1 + (i % 24)) } } : { type: 'flag_content', reason: 'matched a bench rule' },
      cooldown_period: `${1 + (i % 3)}h`,
    };
  });
}

const isBuiltinDeclared = (t: ChannelType) => (BUILTIN_CHANNEL_TYPES_DECLARED as readonly string[]).includes(t.name);

function countsOf(doc: Doc): Workload['counts'] {
  return {
    blocklists: doc.blocklists.length,
    words: doc.blocklists.reduce((n, b) => n + b.words.length, 0),
    roles: doc.roles.length,
    pushProviders: doc.push_providers.length,
    pushTemplates: doc.push_providers.reduce((n, p) => n + p.templates.length, 0),
    externalStorages: doc.external_storages.length,
    callTypes: doc.call_types.length,
    commands: doc.commands.length,
    channelTypes: doc.channel_types.length,
    channelTypesCreatedInTwo: doc.channel_types.filter((t) => !isBuiltinDeclared(t) && createsInTwo(t)).length,
    builtinChannelTypes: doc.channel_types.filter(isBuiltinDeclared).length,
    moderationConfigs: doc.moderation_configs.length,
    moderationRules: doc.moderation_rules.length,
    userGroups: doc.user_groups.length,
    members: doc.user_groups.reduce((n, g) => n + g.members.length, 0),
    users: doc.users.length,
  };
}

/** What the drift changed, per kind: the objects the apply must write (and read back). */
export interface Drift {
  workload: Workload;
  changed: {
    blocklists: number;
    wordsReplaced: number;
    grants: number;
    pushProviders: number;
    pushTemplates: number;
    pushTemplateProviders: number;
    externalStorages: number;
    callTypes: number;
    commands: number;
    channelTypes: number;
    moderationConfigs: number;
    moderationRules: number;
    userGroups: number;
    users: number;
  };
}

/** ceil(1 %) of `n`, at least one when there is anything. */
const share = (n: number) => (n === 0 ? 0 : Math.max(1, Math.ceil(n * DRIFT_SHARE)));

/**
 * The same app after someone edited 1 % of it: 1 % of each kind's objects (at least one) change one thing each —
 * a block list swaps 1 % of its words, a role's grants change, a provider's description, a template's text, a
 * storage's path, a call type's participant limit, a command's description, a channel type's message length limit,
 * commands and one role's grants, a group swaps one member, a user is renamed; two moderation configs each change a
 * toxicity threshold and an action, and one moderation rule its action (a longer ban, or blocking
 * instead of flagging). The objects changed are spread across the file.
 */
export function driftWorkload(base: Workload, seed = 11): Drift {
  const random = prng(seed);
  const doc = structuredClone(base.doc);
  const pick = <T>(items: T[]) => sample(random, items, share(items.length));

  let wordsReplaced = 0;
  const lists = pick(doc.blocklists);
  for (const list of lists) {
    const n = share(list.words.length);
    const replaced = new Set(sample(random, list.words, n));
    const fresh = words(random, n, new Set(list.words));
    list.words = [...list.words.filter((w) => !replaced.has(w)), ...fresh];
    wordsReplaced += n;
  }
  const grantRoles = pick(Object.keys(doc.app.settings.grants));
  for (const role of grantRoles) {
    const current = new Set(doc.app.settings.grants[role]);
    const add = PERMISSIONS.find((p) => !current.has(p));
    const drop = [...current][0];
    if (add && drop) doc.app.settings.grants[role] = [...[...current].filter((p) => p !== drop), add].sort();
  }
  const providers = pick(doc.push_providers);
  for (const p of providers) p.description = `${p.description} (edited)`;
  const templates = pick(doc.push_providers.flatMap((p) => p.templates.map((t) => ({ p, t }))));
  for (const { t } of templates) t.template = '{"title": "{{ sender.name }} wrote", "body": "{{ message.text }}"}';
  const storages = pick(doc.external_storages);
  for (const s of storages) s.path = 'recordings/';
  const callTypes = pick(doc.call_types);
  for (const t of callTypes) t.settings.limits.max_participants += 100;
  const groups = pick(doc.user_groups);
  const allUsers = doc.users.map((u) => u.id);
  for (const g of groups) {
    const members = new Set(g.members);
    const newcomer = allUsers.find((u) => !members.has(u));
    if (!newcomer || g.members.length === 0) continue;
    g.members = [...g.members.slice(1), newcomer].sort();
  }
  const users = pick(doc.users);
  for (const u of users) u.name = `${u.name} (renamed)`;
  // The chat kinds last, so the other kinds drift as they did before there were any.
  const commands = pick(doc.commands);
  for (const c of commands) c.description = `${c.description} (edited)`;
  const channelTypes = pick(doc.channel_types);
  for (const t of channelTypes) {
    t.max_message_length += 500;
    const named = new Set(t.commands);
    const add = doc.commands.find((c) => !named.has(c.name));
    t.commands = add ? [...t.commands, add.name].sort() : t.commands.slice(1);
    const [role, granted = []] = Object.entries(t.grants)[0] ?? [];
    const grant = CHANNEL_PERMISSIONS.find((p) => !granted.includes(p));
    if (role && grant) t.grants[role] = [...granted, grant].sort();
  }
  // Moderation last, so every kind before it drifts as it did before there was any.
  const configs = sample(random, doc.moderation_configs, Math.min(2, doc.moderation_configs.length));
  for (const c of configs) {
    const [first, second] = c.automod_toxicity_config.rules;
    if (first) first.threshold = Math.round((first.threshold >= 0.9 ? first.threshold - 0.1 : first.threshold + 0.05) * 100) / 100;
    if (second) second.action = second.action === 'remove' ? 'flag' : 'remove';
  }
  const rules = pick(doc.moderation_rules);
  for (const r of rules) r.action = r.action.ban_options ? { ...r.action, ban_options: { duration: r.action.ban_options.duration * 2 } } : { ...r.action, type: 'block_content' };

  return {
    workload: { scale: base.scale, doc, counts: countsOf(doc) },
    changed: {
      blocklists: lists.length,
      wordsReplaced,
      grants: grantRoles.length,
      pushProviders: providers.length,
      pushTemplates: templates.length,
      pushTemplateProviders: new Set(templates.map(({ p }) => p.name)).size,
      externalStorages: storages.length,
      callTypes: callTypes.length,
      commands: commands.length,
      channelTypes: channelTypes.length,
      moderationConfigs: configs.length,
      moderationRules: rules.length,
      userGroups: groups.length,
      users: users.length,
    },
  };
}

/** The document as the YAML file a user would keep in Git. */
export function toYaml(w: Workload): string {
  return `# Generated by test/bench/workload.ts: the benchmark's desired state.\n${stringify(w.doc, { lineWidth: 0 })}`;
}
