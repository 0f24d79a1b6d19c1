/**
 * A process's settings table (`defineSettings`, @kaito-ts/core) as a Markdown table: one row per
 * setting with its flag, its environment variables, its default and what it means. The same rows
 * `--help` prints, so the reference and the process cannot disagree.
 */
import { homedir, tmpdir } from 'node:os';
import type { SettingSpec, SettingsTable } from '@kaito-ts/core';

/** `|` ends a cell in a Markdown table, even inside backticks; newlines end the row. */
export const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

const code = (text: string): string => `\`${text}\``;

/**
 * A few defaults are computed from the machine at start-up (the tuning-runner's `$HOME/.docker`,
 * the ARM simulator's temporary directory). The reference shows those as a user reads them, given
 * here by flag, so that the committed file does not depend on who generated it; a test checks
 * that each one expands to the default the process really computes.
 */
export type MachineDefaults = Readonly<Record<string, string>>;

/** `$HOME/x` and `$TMPDIR/x` as this machine reads them. */
export function expandMachineDefault(text: string, machine: { home: string; tmp: string } = { home: process.env.HOME ?? homedir(), tmp: tmpdir() }): string {
  return text.replace(/^\$HOME(?=\/|$)/, machine.home).replace(/^\$TMPDIR(?=\/|$)/, machine.tmp);
}

const envNames = (spec: SettingSpec): readonly string[] => (spec.env === undefined ? [] : typeof spec.env === 'string' ? [spec.env] : spec.env);

function defaultCell(spec: SettingSpec, machine: MachineDefaults): string {
  if (spec.secret === true) return '(secret)';
  const portable = machine[spec.flag];
  if (portable !== undefined) return code(portable);
  const d = spec.default;
  if (d === undefined) return '—';
  if (typeof d === 'boolean') return code(String(d));
  if (Array.isArray(d)) return d.length === 0 ? '—' : code(d.join(','));
  return d === '' ? '—' : code(d as string);
}

function flagCell(spec: SettingSpec): string {
  const placeholder = spec.kind === 'switch' ? '' : ` ${spec.placeholder ?? 'VALUE'}`;
  const short = spec.short !== undefined ? `${code(`-${spec.short}`)}, ` : '';
  return `${short}${code(`--${spec.flag}${placeholder}`)}`;
}

function meaningCell(spec: SettingSpec): string {
  const notes: string[] = [];
  if (spec.kind === 'list') notes.push('as a variable: comma-separated');
  if (spec.kind === 'switch') notes.push('a switch: `--' + spec.flag + '` alone');
  if (spec.example !== undefined && spec.secret !== true) notes.push(`e.g. ${code(`--${spec.flag}=${spec.example}`)}`);
  return [spec.description, ...notes].join('; ');
}

/** The Markdown table of every row of `table`, in the table's order. */
export function settingsMarkdown(table: SettingsTable, machine: MachineDefaults = {}): string {
  const rows = Object.values(table).map((spec) => [flagCell(spec), envNames(spec).map(code).join(', ') || '—', defaultCell(spec, machine), meaningCell(spec)].map(cell));
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
