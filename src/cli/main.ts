// steerdns command line: serve, check, explain, help, --version. Importing this runs nothing
// (bin.ts does); main() returns the exit code.
import { SteerError } from '../errors.js';
import { ConfigFileError } from '../config/server-config.js';
import { parseCli, type ParsedCli } from './args.js';
import { runCheck } from './check.js';
import { runDs, runKeygen } from './dnssec.js';
import { runCtl } from './ctl.js';
import { runExplain } from './explain.js';
import { runRecord } from './record.js';
import { runScenarios } from './scenarios.js';
import { runServe } from './serve.js';
import { runWhatif } from './whatif.js';
import { COMMANDS, usage } from './usage.js';
import { packageVersion } from './version.js';

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // ctl talks to a running server and has flags of its own, none of them a server setting.
  if (argv[0] === 'ctl') return runCtl(argv.slice(1), env);
  let parsed: ParsedCli;
  try {
    parsed = parseCli(argv, env);
  } catch (err) {
    if (err instanceof ConfigFileError) {
      for (const e of err.errors) process.stderr.write(`${e.describe()}\n`);
      process.stderr.write(`steerdns: ${err.errors.length} error(s) in the configuration\n`);
      return 2;
    }
    const text = err instanceof SteerError ? err.describe() : (err as Error).message;
    process.stderr.write(`steerdns: ${text}\n\n${usage()}`);
    return 2;
  }
  switch (parsed.command) {
    case 'serve':
      return runServe(parsed.options, parsed);
    case 'check':
      return runCheck(parsed.options);
    case 'explain':
      return runExplain(parsed.options);
    case 'keygen':
      return runKeygen(parsed.options);
    case 'ds':
      return runDs(parsed.options);
    case 'whatif':
      return runWhatif(parsed.options);
    case 'scenarios':
      return runScenarios(parsed.options);
    case 'record':
      return runRecord(parsed.options);
    case 'version':
      process.stdout.write(`steerdns ${packageVersion()}\n`);
      return 0;
    case 'help': {
      const [topic] = parsed.options.positionals;
      // ctl parses its own flags (it is dispatched before the server settings), so it is not in COMMANDS.
      if (topic !== undefined && topic !== 'ctl' && !(COMMANDS as readonly string[]).includes(topic)) {
        process.stderr.write(`steerdns: no help for "${topic}" (commands: ${COMMANDS.join(', ')}, ctl)\n`);
        return 2;
      }
      process.stdout.write(usage(topic));
      return 0;
    }
    default:
      process.stderr.write(`steerdns: unknown command "${parsed.command}"\n\n${usage()}`);
      return 2;
  }
}
