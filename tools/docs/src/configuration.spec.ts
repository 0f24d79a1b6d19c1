import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineSettings, SettingCodecs } from '@kaito-ts/core';
import { CHARTS, CONFIGURATION_DOC, configurationBlocks, MACHINE_DEFAULTS, PROCESS_SETTINGS, withGeneratedBlocks } from './configuration.js';
import { expandMachineDefault, settingsMarkdown } from './settings-table.js';

const root = resolve(__dirname, '../../..');
const committed = readFileSync(join(root, CONFIGURATION_DOC), 'utf8');

describe('docs/configuration.md', () => {
  it('is what `npm run gen:docs` makes from the code (run it after changing a setting or a chart value)', () => {
    expect(committed).toBe(withGeneratedBlocks(committed, configurationBlocks(root)));
  });

  it('covers every app under apps/ that reads settings (a new app needs its table in PROCESS_SETTINGS)', () => {
    const apps = readdirSync(join(root, 'apps')).filter((app) =>
      readdirSync(join(root, 'apps', app, 'src'), { recursive: true, encoding: 'utf8' }).some(
        (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && readFileSync(join(root, 'apps', app, 'src', f), 'utf8').includes('defineSettings('),
      ),
    );
    expect(apps.length).toBeGreaterThan(2);
    expect(apps.filter((app) => PROCESS_SETTINGS[app] === undefined)).toEqual([]);
  });

  it.each(Object.entries(PROCESS_SETTINGS))('lists every flag and variable of %s', (name, table) => {
    const block = configurationBlocks(root)[`settings:${name}`] ?? '';
    for (const spec of Object.values(table)) {
      expect(block).toContain(`\`--${spec.flag}`);
      for (const env of typeof spec.env === 'string' ? [spec.env] : (spec.env ?? [])) expect(block).toContain(`\`${env}\``);
    }
  });

  it.each(CHARTS)('lists every value of the %s chart', (chart) => {
    const readme = readFileSync(join(root, 'charts', chart, 'README.md'), 'utf8');
    const values = readme.slice(readme.indexOf('## Values')).split(/\n## /)[0] ?? '';
    const keys = [...values.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) expect(committed).toContain(`| \`${key}\` |`);
  });

  it.each(Object.entries(MACHINE_DEFAULTS).flatMap(([name, flags]) => Object.entries(flags).map(([flag, shown]) => [name, flag, shown] as const)))(
    '%s --%s is shown as %s, which is the default the process computes on this machine',
    (name, flag, shown) => {
      const spec = Object.values(PROCESS_SETTINGS[name] ?? {}).find((s) => s.flag === flag);
      expect(spec?.default).toBe(expandMachineDefault(shown));
    },
  );
});

describe('settingsMarkdown', () => {
  const table = defineSettings({
    level: { flag: 'log-level', env: 'X_LOG_LEVEL', codec: SettingCodecs.oneOf(['a', 'b']), default: 'a', description: 'a | b', placeholder: 'a|b' },
    token: { flag: 'token', env: ['X_TOKEN', 'TOKEN'], codec: SettingCodecs.text, default: 'hunter2', description: 'the token', secret: true },
    ns: { flag: 'namespace', env: 'X_NAMESPACES', kind: 'list', codec: SettingCodecs.list(SettingCodecs.text), description: 'namespaces', example: 'team-a', placeholder: 'NS' },
    dir: { flag: 'dir', codec: SettingCodecs.text, default: '/home/someone/.docker', description: 'a directory' },
  });

  it('escapes the pipes of placeholders and descriptions so the row keeps its four cells', () => {
    const row = settingsMarkdown(table).split('\n')[2] ?? '';
    expect(row).toBe('| `--log-level a\\|b` | `X_LOG_LEVEL` | `a` | a \\| b |');
  });

  it('never shows a secret setting’s default', () => {
    const md = settingsMarkdown(table);
    expect(md).not.toContain('hunter2');
    expect(md).toContain('| `--token VALUE` | `X_TOKEN`, `TOKEN` | (secret) | the token |');
  });

  it('says a list setting repeats and shows its example', () => {
    expect(settingsMarkdown(table)).toContain('| `--namespace NS` | `X_NAMESPACES` | — | namespaces; as a variable: comma-separated; e.g. `--namespace=team-a` |');
  });

  it('shows a machine-computed default the way a user reads it', () => {
    expect(settingsMarkdown(table, { dir: '$HOME/.docker' })).toContain('| `--dir VALUE` | — | `$HOME/.docker` | a directory |');
    expect(expandMachineDefault('$HOME/.docker', { home: '/home/someone', tmp: '/tmp' })).toBe('/home/someone/.docker');
    expect(expandMachineDefault('$TMPDIR/x', { home: '/h', tmp: '/var/tmp' })).toBe('/var/tmp/x');
  });
});

describe('withGeneratedBlocks', () => {
  const doc = 'intro\n<!-- BEGIN GENERATED a -->\nold\n<!-- END GENERATED a -->\nmiddle\n<!-- BEGIN GENERATED b -->\n<!-- END GENERATED b -->\nend\n';

  it('replaces what is between each pair of markers and keeps the prose', () => {
    expect(withGeneratedBlocks(doc, { a: 'A', b: 'B1\nB2' })).toBe('intro\n<!-- BEGIN GENERATED a -->\nA\n<!-- END GENERATED a -->\nmiddle\n<!-- BEGIN GENERATED b -->\nB1\nB2\n<!-- END GENERATED b -->\nend\n');
  });

  it('refuses a block the file has no markers for', () => {
    expect(() => withGeneratedBlocks(doc, { a: 'A', b: 'B', c: 'C' })).toThrow('no markers for c');
  });

  it('refuses markers for a block that does not exist', () => {
    expect(() => withGeneratedBlocks(doc, { a: 'A' })).toThrow('unknown generated block "b"');
  });

  it('refuses a BEGIN without its END', () => {
    expect(() => withGeneratedBlocks('<!-- BEGIN GENERATED a -->\nx\n', { a: 'A' })).toThrow('has no "<!-- END GENERATED a -->"');
  });
});
