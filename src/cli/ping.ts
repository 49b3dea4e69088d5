import { Command, Option } from 'commander';
import { VERSION } from '../core/version.js';
import { fileSchema } from '../desired/schema.js';
import { FORMAT_VERSION } from '../plan/render/index.js';
import { createLogger } from '../runtime/logger.js';
import { STATE_FILE_VERSION } from '../state/state-file.js';
import type { EmbeddedEmulator } from '../runtime/session.js';
import { durationArg, environmentsOption, logLevelOption } from './options.js';
import { connectionConfigured, probeServer, type ProbeFlags, type ServerReport, serverLines } from './probe.js';
import { endOnSignal, output } from './session.js';

/** `ping` (is the app reachable, and does it accept the credentials?) and `version` (this client, and the server). */

type Flags = ProbeFlags & { json?: boolean; logLevel: string };

function connectionOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--env <name>', `${what} the app of this environment of the environments file (its base URL and credentials)`)
    .addOption(environmentsOption())
    .option('--emulator', `${what} an embedded Stream API emulator (a check of stream-sync itself)`)
    .addOption(new Option('--timeout <duration>', 'give up on the answer after this long (e.g. 3s, 1m)').default(10_000, '10s').argParser(durationArg('--timeout')))
    .addOption(logLevelOption('warn'));
}

async function probe(flags: Flags, startEmulator: () => Promise<EmbeddedEmulator>): Promise<ServerReport> {
  const restoreSignals = endOnSignal();
  try {
    return await probeServer(flags, { env: process.env, logger: createLogger({ level: flags.logLevel, fd: 2 }), startEmulator });
  } finally {
    restoreSignals();
  }
}

export function pingCommand(program: Command, setExit: (code: number) => void, startEmulator: () => Promise<EmbeddedEmulator>): Command {
  const cmd = program
    .command('ping')
    .description("connect as plan does and make one authenticated read (GetApp): the app's name, base URL, API key (never the secret), round trip, clock skew (exit 0 ok, 1 failed)");
  return connectionOptions(cmd, 'ping')
    .option('--json', 'print one JSON object (its fields below; null when unknown)')
    .action(async (flags: Flags) => {
      const report = await probe(flags, startEmulator);
      if (flags.json) output().stdout(JSON.stringify({ stream_sync: VERSION, ...report }, null, 2));
      else if (report.ok) output().stdout([`ok: Stream answered GetApp for app ${JSON.stringify(report.app)}`, ...serverLines(report, '  ')].join('\n'));
      else output().stderr([`ping failed: ${report.error}`, ...serverLines({ ...report, error: null }, '  ')].join('\n'));
      setExit(report.ok ? 0 : 1);
    });
}

/** What this stream-sync speaks: the desired-state file's `version:`, the saved plan's `format_version`, the state file's `version`. */
export function formats() {
  return { desired_state: fileSchema().shape.version.value, plan: FORMAT_VERSION, state_file: STATE_FILE_VERSION };
}

export function versionCommand(program: Command, setExit: (code: number) => void, startEmulator: () => Promise<EmbeddedEmulator>): Command {
  const cmd = program
    .command('version')
    .description("this stream-sync's version, Node's, the platform and the file formats it speaks; with a connection configured (STREAM_* variables, --env or --emulator), the server too, as ping shows it (exit 0, 1 when the server could not be reached)");
  return connectionOptions(cmd, 'show')
    .option('--client', "the client only: don't contact the server")
    .option('--json', 'print one JSON object (its fields below)')
    .action(async (flags: Flags & { client?: boolean }) => {
      const server = !flags.client && connectionConfigured(flags, process.env) ? await probe(flags, startEmulator) : null;
      const f = formats();
      if (flags.json) {
        output().stdout(JSON.stringify({ stream_sync: VERSION, node: process.version, platform: process.platform, arch: process.arch, formats: f, server }, null, 2));
      } else {
        const lines = [
          `stream-sync ${VERSION}`,
          `  node:       ${process.version}`,
          `  platform:   ${process.platform} ${process.arch}`,
          `  formats:    desired-state version ${f.desired_state}, plan format_version ${f.plan}, state file version ${f.state_file}`,
        ];
        if (server) lines.push(server.ok ? 'server:' : 'server: unreachable or refused', ...serverLines(server, '  '));
        else lines.push(flags.client ? 'server: not contacted (--client)' : 'server: no connection configured (set STREAM_API_KEY and STREAM_API_SECRET, or pass --env NAME or --emulator)');
        output().stdout(lines.join('\n'));
      }
      setExit(server && !server.ok ? 1 : 0);
    });
}
