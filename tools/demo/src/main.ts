#!/usr/bin/env node
/**
 * `npm run demo` (through tools/demo/run.sh, which first installs what is missing): the seed's
 * quick start on this machine — tune, push, serve, ask — then everything stopped and removed.
 *
 * Exit codes: 0 done; 1 a phase failed (the last lines name the phase, the reason and the log to
 * read); 2 a bad setting; 130 interrupted (Ctrl-C), after cleaning up.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defineSettings, isSettingsError, parseSettings, SettingCodecs as C, settingsHelp } from '@kaito-ts/core';
import { Demo, PHASES } from './demo.js';
import { clock, Display, seconds } from './display.js';
import { DemoFailure, Interrupted } from './wait.js';

export const SETTINGS = defineSettings({
  keep: { flag: 'keep', kind: 'switch', codec: C.boolean, default: false, description: 'after the last phase keep everything running and print how to explore; Ctrl-C stops it' },
  cluster: {
    flag: 'cluster',
    env: 'KAITO_TS_DEMO_CLUSTER',
    codec: C.text,
    default: 'kaito-ts-demo',
    description: "the demo's own local cluster (never the test tiers' KAITO_TS_CLUSTER)",
    placeholder: 'NAME',
  },
  steps: { flag: 'steps', env: 'KAITO_TS_DEMO_STEPS', codec: C.wholeNumber({ min: 1, max: 1000 }), default: '12', description: 'training steps of the tiny model', placeholder: 'N' },
});

const USAGE = settingsHelp(
  SETTINGS,
  'usage: npm run demo [-- --keep]',
  'The seed’s tuning quick start on this machine (no cloud, GPU or Docker): a local control plane, the ARM + Entra simulator, gpu-provisioner, the real tuning-runner, a local registry, then the tuned adapter served and asked. See docs/demo.md.',
);

function cacheRoot(): string {
  return process.env['KAITO_TS_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kaito-ts');
}

async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    const parsed = parseSettings(SETTINGS, argv, process.env);
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    values = parsed.values;
  } catch (err) {
    if (!isSettingsError(err)) throw err;
    process.stderr.write(`demo: ${err.message}\n`);
    return 2;
  }

  const display = new Display({ out: process.stdout, phases: PHASES });
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      display.line(`\n${sig}: stopping; cleaning up (a second Ctrl-C says what is left; a third quits at once, and the next run cleans up)`);
      abort.abort();
    } else if (signals === 2) display.line('still cleaning up: the processes are stopping and the cluster is going down');
    else process.exit(130);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);

  const stateDir = join(cacheRoot(), 'demo', values.cluster);
  const demo = new Demo({ cluster: values.cluster, steps: values.steps, stateDir, display, signal: abort.signal });
  display.line(`kaito-ts demo: the seed's tuning quick start on this machine — no cloud, no GPU, no Docker (cluster ${values.cluster}; logs in ${demo.logDir})`);

  let failure: { phase: string; reason: string; log: string | undefined } | undefined;
  let interrupted = false;
  try {
    await demo.run();
    if (values.keep && !abort.signal.aborted) {
      for (const line of demo.exploreHelp()) display.line(line);
      await demo.holdUntilInterrupted();
    }
  } catch (err) {
    const phase = display.phase;
    const where = phase !== undefined ? `phase ${phase.number}/${PHASES} (${phase.title})` : 'start-up';
    if (err instanceof Interrupted) interrupted = true;
    else {
      const reason = err instanceof Error ? err.message : String(err);
      failure = { phase: where, reason, log: err instanceof DemoFailure ? err.log : undefined };
    }
  }

  display.startPhase(PHASES, values.keep ? 'clean up (after --keep)' : 'clean up: stop every process, take the cluster down');
  const left = await demo.cleanUp((line) => display.line(line));
  display.endPhase(left.length === 0 ? 'nothing left running' : `${left.length} step(s) failed`);
  display.close();

  display.line(`\nphases: ${display.done.map((p) => `${p.number} ${seconds(p.ms)}`).join(', ')}; total ${clock(display.elapsed())}`);
  if (failure !== undefined) {
    display.line(`demo FAILED in ${failure.phase}: ${failure.reason}`);
    display.line(`look at: ${failure.log ?? demo.logDir} (all logs: ${demo.logDir})`);
    return 1;
  }
  if (left.length > 0) {
    display.line(`demo: clean-up left something behind: ${left.join('; ')}`);
    return 1;
  }
  if (interrupted) {
    display.line('demo interrupted; everything it started is stopped');
    return 130;
  }
  display.line(`demo done: tuned, pushed (${demo.result.digest}), served and answered; nothing left running`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
