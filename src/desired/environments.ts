import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigIssue, InterpolationError, UsageError } from '../core/errors.js';
import type { SourceLocation } from '../core/model.js';
import { interpolate } from './interpolate.js';
import { parseYamlDocument } from './yaml/document.js';
import { formatYamlPath, nodeAt, offsetLocator, type YamlPath } from './yaml/locate.js';

/**
 * The environments file (`--environments FILE`, default `environments.yaml`): one entry per Stream app a
 * repository configures (staging, prod, …), each with its layers of desired-state files, its connection and its
 * state file, so that one flag (`--env prod`) selects all of them together and prod's files can never be pointed
 * at staging's app by mistake. Notification targets for the daemon live here too. Only the environments a
 * command selects are substituted: prod's secret need not be set to plan staging.
 */

export const DEFAULT_ENVIRONMENTS_FILE = 'environments.yaml';

const NOTIFY_EVENTS = ['drift_found', 'apply_failed', 'applied_after_drift', 'guard_refused'] as const;
const duration = z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'a duration such as 30s, 5m or 1h30m');
const envName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'an environment name is lowercase letters, digits, - and _');

const environmentSchema = z
  .object({
    /** The layers, in order: a base, then overlays (files or directories), relative to the environments file. */
    files: z.array(z.string().min(1)).min(1),
    /** Substituted, then checked to be an http(s) URL. */
    base_url: z.string().min(1).optional(),
    /**
     * Values of `${env:NAME}` references for this environment's files (as a Terraform var file): what differs
     * between environments, shown in plans (mark secrets in the files with `${secret:…}`, or keep them out of here).
     */
    variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name'), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
    /** The app's API key; `${env:…}` or written out (a key is not a secret: plans show it). */
    api_key: z.string().min(1),
    /** The app's API secret: `${env:NAME}` or `${file:PATH}` only, never written out. */
    api_secret: z.string().min(1),
    /** Default: `.stream-sync/<name>.json` beside the environments file. */
    state_file: z.string().min(1).optional(),
    /** `watch`: the resync period of this app, or `auto` (the shortest that keeps the daemon under its rate share). */
    interval: z.union([z.literal('auto'), duration]).optional(),
    /** `watch`: only report drift for this app. */
    dry_run: z.boolean().optional(),
  })
  .strict();

const notificationSchema = z
  .object({
    name: z.string().min(1),
    /** `${env:…}` or `${file:…}` (a Slack webhook URL is a secret) or written out. */
    url: z.string().min(1),
    format: z.enum(['slack', 'json']),
    events: z.array(z.enum(NOTIFY_EVENTS)).min(1).optional(),
    /** Environments whose events go there (default: all). */
    environments: z.array(envName).optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const environmentsFileSchema = z
  .object({
    version: z.literal(1, 'version must be 1'),
    environments: z.record(envName, environmentSchema).refine((r) => Object.keys(r).length > 0, 'declare at least one environment'),
    notifications: z.array(notificationSchema).optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    // A misspelt environment would silently never be notified.
    file.notifications?.forEach((n, i) =>
      n.environments?.forEach((e, j) => {
        if (!(e in file.environments)) ctx.addIssue({ code: 'custom', path: ['notifications', i, 'environments', j], message: `no environment "${e}": declared are ${Object.keys(file.environments).join(', ')}` });
      }),
    );
  });

export interface Environment {
  name: string;
  /** Absolute paths of the layers, in order. */
  files: string[];
  /** `${env:NAME}` values for this environment's files; they take precedence over the process's environment. */
  variables: Record<string, string>;
  /** Substituted when called (validate never needs the secret): throws a located ConfigError when it cannot be. */
  connection(): { baseUrl?: string; apiKey: string; apiSecret: string };
  stateFile: string;
  /** `watch`: the resync period, as written (e.g. `5m`). */
  interval?: string;
  dryRun?: boolean;
  /** Where the entry is written, for messages. */
  location: SourceLocation;
}

export interface NotificationTarget {
  name: string;
  url: string;
  format: 'slack' | 'json';
  events?: (typeof NOTIFY_EVENTS)[number][];
  environments?: string[];
  headers?: Record<string, string>;
}

export interface EnvironmentsFile {
  path: string;
  names: string[];
  /** The environments asked for, substituted (throws a located ConfigError when one cannot be). */
  select(names: readonly string[]): Environment[];
  /** The notification targets for these environments, substituted. */
  notifications(names: readonly string[]): NotificationTarget[];
}

/** Reads and validates the environments file; nothing is substituted until an environment is selected. */
export function loadEnvironments(path: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): EnvironmentsFile {
  const env = opts.env ?? process.env;
  const shown = relative(opts.cwd ?? process.cwd(), path) || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the environments file ${shown}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (pass --environments FILE)`);
  }
  const at = offsetLocator(shown, text);
  const doc = parseYamlDocument(text);
  if (doc.errors.length) throw new ConfigError(doc.errors.map((e) => ({ message: e.message.split('\n')[0]!, location: at(e.pos[0]) })));
  const locate = (p: YamlPath) => at(nodeAt(doc, p)?.range?.[0] ?? 0);
  const parsed = environmentsFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ message: `${formatYamlPath(i.path as YamlPath) || 'the file'}: ${i.message}`, location: locate(i.path as YamlPath) })));
  }
  const data = parsed.data;
  const baseDir = dirname(resolve(path));
  const names = Object.keys(data.environments);

  /** A string value with its references substituted; `secret`: it must come from a reference. */
  const substitute = (value: string, p: YamlPath, issues: ConfigIssue[], secret = false): string => {
    try {
      // A secret is one reference and nothing else: no literal text around it, no `:-` fallback holding it.
      if (secret && !/^\$\{(env|secret|file):[^}:]+\}$/.test(value.trim())) {
        issues.push({ message: `${formatYamlPath(p)}: write \${env:NAME} or \${file:PATH} here (one reference, no fallback), never the secret itself`, location: locate(p) });
        return '';
      }
      const r = interpolate(value, { env, baseDir });
      return r.value;
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      issues.push({ message: err.message, location: locate(p) });
      return '';
    }
  };

  return {
    path,
    names,
    select(wanted) {
      const issues: ConfigIssue[] = [];
      const unknown = wanted.filter((n) => !names.includes(n));
      if (unknown.length) throw new UsageError(`${shown} has no environment ${unknown.map((n) => `"${n}"`).join(', ')}: it declares ${names.join(', ')}`);
      const out = wanted.map((name): Environment => {
        const e = data.environments[name]!;
        const p = (key: string): YamlPath => ['environments', name, key];
        return {
          name,
          files: e.files.map((f) => (isAbsolute(f) ? f : join(baseDir, f))),
          variables: e.variables ?? {},
          connection: () => {
            const found: ConfigIssue[] = [];
            const conn = { baseUrl: e.base_url === undefined ? undefined : substitute(e.base_url, p('base_url'), found), apiKey: substitute(e.api_key, p('api_key'), found), apiSecret: substitute(e.api_secret, p('api_secret'), found, true) };
            if (found.length) throw new ConfigError(found);
            return conn;
          },
          stateFile: e.state_file ? resolve(baseDir, e.state_file) : join(baseDir, '.stream-sync', `${name}.json`),
          interval: e.interval,
          dryRun: e.dry_run,
          location: locate(['environments', name]),
        };
      });
      if (issues.length) throw new ConfigError(issues);
      return out;
    },
    notifications(selected) {
      const issues: ConfigIssue[] = [];
      const targets = (data.notifications ?? []).flatMap((n, i): NotificationTarget[] => {
        if (n.environments && !n.environments.some((e) => selected.includes(e))) return [];
        const p: YamlPath = ['notifications', i];
        const headers = n.headers && Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k, substitute(v, [...p, 'headers', k], issues)]));
        return [{ ...n, url: substitute(n.url, [...p, 'url'], issues), ...(headers ? { headers } : {}) }];
      });
      if (issues.length) throw new ConfigError(issues);
      return targets;
    },
  };
}
