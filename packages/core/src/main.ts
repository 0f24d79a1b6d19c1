import { isSettingsError } from './settings.js';

export interface MainSpec<S> {
  /** The process name every error line starts with: `kwok-provisioner: …`. */
  readonly name: string;
  /** `--help` text. */
  readonly usage: string;
  /** Reads argv (and env); `'help'` when `--help` was asked for. Throws SettingsError on a bad setting. */
  readonly parse: (argv: readonly string[]) => S | 'help';
  /** Starts the process; resolves `done` when it has stopped (SIGTERM drain included). */
  readonly start: (settings: S) => Promise<{ readonly done: Promise<unknown> }>;
}

export interface MainIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: MainIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/**
 * One process entry point for every app: exit 2 with one line on a bad setting, 0 after `--help`
 * or a clean stop, 1 with one line when start-up or the run fails. Errors the parser does not
 * expect (a bug) keep their stack.
 */
export async function mainExitCode<S>(spec: MainSpec<S>, argv: readonly string[], io: MainIo = processIo): Promise<number> {
  let settings: S | 'help';
  try {
    settings = spec.parse(argv);
  } catch (err) {
    if (!isSettingsError(err)) throw err;
    io.stderr(`${spec.name}: ${err.message}\n`);
    return 2;
  }
  if (settings === 'help') {
    io.stdout(`${spec.usage}\n`);
    return 0;
  }
  try {
    const running = await spec.start(settings);
    await running.done;
    return 0;
  } catch (err) {
    io.stderr(`${spec.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** Runs `mainExitCode` on `process.argv` and exits with its code. */
export function runMain<S>(spec: MainSpec<S>): void {
  mainExitCode(spec, process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${spec.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
