import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'arm-sim-config-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'projected\n');

function config(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseConfig(argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.config;
}

describe('parseConfig', () => {
  it('reads flags, with durations and the trusted token from its file', () => {
    const c = config(['--federated-token-file', tokenFile, '--port', '8443', '--create-delay', '1m30s', '--page-size', '3', '--token-lifetime', '2m', '--stopped', '--nodes', 'none']);
    expect(c).toMatchObject({ port: 8443, createDelayMs: 90_000, pageSize: 3, powerState: 'Stopped', nodes: 'none' });
    expect(c.entra).toMatchObject({ federatedToken: 'projected', tokenLifetimeSeconds: 120 });
  });

  it('falls back to ARM_SIMULATOR_* environment variables', () => {
    expect(config([], { ARM_SIMULATOR_FEDERATED_TOKEN_FILE: tokenFile, ARM_SIMULATOR_DELETE_DELAY: '250ms' }).deleteDelayMs).toBe(250);
  });

  it.each([
    [['--port', '0x10'], /--port: expected a whole number 0–65535, got "0x10"/],
    [['--create-delay', 'soon'], /--create-delay: expected a duration such as 500ms/],
    [['--nodes', 'cloud'], /--nodes: expected kube or none/],
    [['--page-size', '0'], /--page-size: expected a whole number 1–/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => config(['--federated-token-file', tokenFile, ...argv])).toThrow(message);
  });

  it('requires the federated token file', () => {
    expect(() => config([])).toThrow(ConfigError);
    expect(() => config([])).toThrow(/--federated-token-file: required/);
  });

  it('names the bad field of a faults file', () => {
    const faults = join(dir, 'faults.json');
    writeFileSync(faults, JSON.stringify([{ kind: 'QuotaExceeded' }, { kind: 'TooManyRequests', times: 0 }]));
    expect(() => config(['--federated-token-file', tokenFile, '--faults-file', faults])).toThrow(/\[1\]\.times: .*positive integer/);
  });
});
