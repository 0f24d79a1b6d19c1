import type { Settings } from '../settings.js';
import type { TrainerCommand } from '../trainer/supervise.js';

/** How to start the Python trainer: one process, or `accelerate launch` with one per GPU. */
export function trainerCommand(s: Settings, trainerDir: string, args: readonly string[]): TrainerCommand {
  const env = { PYTHONPATH: [trainerDir, process.env.PYTHONPATH].filter(Boolean).join(':') };
  if (s.trainerLauncher === 'accelerate') {
    return {
      command: s.python,
      args: ['-m', 'accelerate.commands.launch', '--num_processes', String(s.trainerProcesses), '--module', 'kaito_trainer', ...args],
      cwd: trainerDir,
      env,
    };
  }
  return { command: s.python, args: ['-m', 'kaito_trainer', ...args], cwd: trainerDir, env };
}
