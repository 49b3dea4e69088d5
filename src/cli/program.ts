import { Command, Option } from 'commander';
import { runCheck } from '../commands/check.js';
import { EXPORTABLE_SECTIONS, runExport } from '../commands/export.js';
import { runApply } from '../commands/apply.js';
import { runPlan } from '../commands/plan.js';
import { loadDesired } from '../desired/load.js';
import { formatLocation, UsageError } from '../core/errors.js';
import { DEFAULT_ENVIRONMENTS_FILE } from '../desired/environments.js';
import type { DesiredState } from '../core/model.js';
import type { PlanFormat } from '../plan/render/index.js';
import { VERSION } from '../core/version.js';
import { completionCommand } from './completion.js';
import { emulatorCommand, watchCommand } from './daemons.js';
import { type DiffCliFlags, diffEnvironments } from './diff.js';
import { embeddedEmulator, type LoadEmulator, noEmulator } from './emulator.js';
import { addHelpSections } from './help.js';
import { type CommonFlags, collect, commonOptions, deadlineOption, fileOptions, intArg, lockTimeoutOption, logFormatOption, logLevelOption, rateShareOption } from './options.js';
import { pingCommand, versionCommand } from './ping.js';
import { interruptible, output, target, withSession } from './session.js';

/**
 * The program: every command, its flags, help and action. Building it runs nothing (the reference generator and
 * the tests build it to read it); `loadEmulator` is the root's (src/cli.ts), which alone loads the emulator.
 */
export function buildProgram(setExit: (code: number) => void, loadEmulator: LoadEmulator = noEmulator): Command {
  const startEmulator = embeddedEmulator(loadEmulator);
  const program = new Command('stream-sync')
    .description("Keep a Stream app's configuration equal to a YAML file in Git.")
    .version(VERSION, '--version')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  fileOptions(program.command('validate').description('parse, schema-check and cross-reference the desired state, offline (exit 0 valid, 1 invalid)'))
    .option('--explain <address>', 'show which layer (file:line:col) set each value of this object')
    .action((flags: CommonFlags & { explain?: string }) => {
      const { files, vars } = target(flags, { offline: true });
      const desired = loadDesired(files, { env: vars });
      // What may still be fine (a role the app may already have): said, located, without failing validation.
      for (const w of desired.warnings) output().stderr(w.location ? `${formatLocation(w.location)}: warning: ${w.message}` : `warning: ${w.message}`);
      const counts = new Map<string, number>();
      for (const o of desired.objects.values()) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
      const summary = [...counts].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ') || 'no objects';
      output().stdout(`${flags.env ? `environment ${flags.env}` : files.join(' + ')}: valid (${desired.files.length} file${desired.files.length === 1 ? '' : 's'}: ${summary})`);
      if (flags.explain) output().stdout(explainText(desired, flags.explain));
      setExit(0);
    });

  commonOptions(program.command('plan').description('show what apply would do; writes nothing to the API'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--out <file>', 'also save the plan as JSON (for apply --plan); takes the state-file lock while planning')
    .option('--detailed-exitcode', 'exit 2 when there are changes (0 none, 1 error)')
    .addOption(lockTimeoutOption())
    .option('--explain <address>', 'also show, on stderr, which layer (file:line:col) set each value of this object')
    .action(async (flags: CommonFlags & { format: PlanFormat; out?: string; detailedExitcode?: boolean; lockTimeout?: number; explain?: string }) => {
      // A plan saved for apply is not made while another stream-sync is writing the app: it would be stale at once.
      const needs = { command: 'plan', lock: flags.out !== undefined, lockTimeoutMs: flags.lockTimeout };
      setExit(
        await withSession(
          flags,
          startEmulator,
          (desired, session) => {
            if (flags.explain) output().stderr(explainText(desired, flags.explain));
            return runPlan(desired, { format: flags.format, out: flags.out, detailedExitcode: Boolean(flags.detailedExitcode), targets: flags.target }, session, output());
          },
          needs,
        ),
      );
    });

  commonOptions(program.command('apply').description('compute the plan and execute it (exit 0 applied or nothing to do, 1 error)'))
    .option('--dry-run', 'print the plan and stop')
    .option('--plan <file>', 'execute exactly this saved JSON plan; refused when the live state has moved since')
    .addOption(new Option('--allow-deletes <n>', 'raise policy.max_deletes for this run').argParser(intArg('--allow-deletes', 0, 1_000_000)))
    .option('--verify', 'after apply, run the live checks touching what changed (exit 1 if any fails)')
    .addOption(lockTimeoutOption())
    .action(async (flags: CommonFlags & { dryRun?: boolean; plan?: string; allowDeletes?: number; verify?: boolean; lockTimeout?: number }) => {
      const apply = { dryRun: Boolean(flags.dryRun), planFile: flags.plan, allowDeletes: flags.allowDeletes, targets: flags.target, verify: Boolean(flags.verify) };
      // An apply records fingerprints and the user inventory: a state file it cannot write fails it before any
      // write, and a second writer on the same state file is refused (or waited for) before anything is read.
      const writes = !apply.dryRun;
      const needs = { command: 'apply', writesState: writes, lock: writes, lockTimeoutMs: flags.lockTimeout };
      setExit(await interruptible((signal) => withSession(flags, startEmulator, (desired, session) => runApply(desired, apply, session, output()), { ...needs, signal })));
    });

  commonOptions(program.command('check').description('run the live checks Stream offers for what the file declares (exit 0 all pass, 1 any fails)'))
    .action(async (flags: CommonFlags) => {
      setExit(await withSession(flags, startEmulator, (desired, session) => runCheck(desired, { targets: flags.target }, session, output()), { command: 'check' }));
    });

  commonOptions(program.command('export').description('write the live configuration as a desired-state file (secrets as ${env:…} placeholders)'), { file: false })
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .option('--kinds <list>', `comma-separated kinds to export (${EXPORTABLE_SECTIONS.join(', ')})`, (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .action(async (flags: CommonFlags & { output?: string; kinds?: string[] }) => {
      const run = (_d: DesiredState, session: Parameters<typeof runExport>[1]) => runExport({ output: flags.output, kinds: flags.kinds }, session, output());
      setExit(await withSession({ ...flags, file: [flags.output ?? '.'] }, startEmulator, run, { command: 'export', needsFile: false }));
    });

  program
    .command('diff')
    .description("show what would change in the second environment's app if it matched the first's live configuration (secrets excluded); writes nothing")
    .option('--env <name>', 'the source environment, then the target: give it twice (--env staging --env prod)', (v: string, previous?: string[]) => [...(previous ?? []), v])
    .option('--environments <file>', `the environments file (default: ${DEFAULT_ENVIRONMENTS_FILE})`)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--kinds <list>', `comma-separated kinds to compare (${EXPORTABLE_SECTIONS.join(', ')}; default: those export writes)`, (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--prune', "show the target's objects the source lacks as deletes (default: warnings)")
    .option('--detailed-exitcode', 'exit 2 when there are changes (0 none, 1 error)')
    .option('--target <address>', 'restrict to these addresses (repeatable; * matches any characters)', collect, [])
    .addOption(logLevelOption('warn'))
    .addOption(logFormatOption())
    .addOption(new Option('--concurrency <n>', 'requests in flight at once, per app').default(8).argParser(intArg('--concurrency', 1, 64)))
    .addOption(rateShareOption())
    .addOption(deadlineOption('give up when the command is still running after this long (e.g. 10m, 1h): exit 1'))
    .action(async (flags: DiffCliFlags) => {
      setExit(await diffEnvironments(flags, startEmulator));
    });

  watchCommand(program, setExit, loadEmulator);
  emulatorCommand(program, setExit, loadEmulator);
  pingCommand(program, setExit, startEmulator);
  versionCommand(program, setExit, startEmulator);
  completionCommand(program, setExit);
  addHelpSections(program);
  return program;
}

/** `--explain ADDRESS`: each value of the object, the layer that set it, masked when sensitive. */
function explainText(desired: DesiredState, address: string): string {
  const origins = desired.explain?.(address);
  if (!origins) throw new UsageError(`--explain: ${address} is not declared in ${desired.files.join(', ')}`);
  const lines = origins.map((o) => `  ${o.path} = ${o.sensitive ? '(sensitive value)' : JSON.stringify(o.value)}    ${formatLocation(o.location)}`);
  return `${address}:\n${lines.join('\n')}`;
}
