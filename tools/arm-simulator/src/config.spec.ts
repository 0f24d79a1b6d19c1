import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettingsError } from '@kaito-ts/core';
import { parseConfig, USAGE } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'arm-sim-config-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'projected\n');

function config(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseConfig(argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.config;
}

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
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

  it('reads a switch and a case-insensitive log level from the environment', () => {
    const c = config([], { ARM_SIMULATOR_FEDERATED_TOKEN_FILE: tokenFile, ARM_SIMULATOR_STOPPED: 'true', ARM_SIMULATOR_LOG_LEVEL: 'DEBUG' });
    expect(c).toMatchObject({ powerState: 'Stopped', logLevel: 'debug' });
    expect(c).not.toHaveProperty('pollRetryAfterSeconds');
  });

  it('lets a flag win over its variable', () => {
    expect(config(['--federated-token-file', tokenFile, '--page-size=7'], { ARM_SIMULATOR_PAGE_SIZE: '3' }).pageSize).toBe(7);
  });

  it.each([
    [['--port', '0x10'], 'invalid setting --port (ARM_SIMULATOR_PORT): expected a whole number from 0 to 65535, got "0x10" (e.g. --port=8443)'],
    [['--create-delay', 'soon'], 'invalid setting --create-delay (ARM_SIMULATOR_CREATE_DELAY): expected a duration such as 500ms, 5s, 2m or 1h, got "soon" (e.g. --create-delay=5s)'],
    [['--nodes', 'cloud'], 'invalid setting --nodes (ARM_SIMULATOR_NODES): expected one of: kube, none, got "cloud" (e.g. --nodes=kube)'],
    [['--page-size', '0'], 'invalid setting --page-size (ARM_SIMULATOR_PAGE_SIZE): expected a positive whole number, got "0" (e.g. --page-size=100)'],
    [['--no-such-flag'], 'invalid setting: unknown flag --no-such-flag; see --help'],
  ])('rejects %j with one line naming the setting', (argv, message) => {
    const err = thrownBy(() => config(['--federated-token-file', tokenFile, ...argv]));
    expect(err).toBeInstanceOf(SettingsError);
    expect(err.message).toBe(message);
  });

  it('requires the federated token file, and one that holds a token', () => {
    expect(() => config([])).toThrow(SettingsError);
    expect(() => config([])).toThrow(
      'invalid setting --federated-token-file (ARM_SIMULATOR_FEDERATED_TOKEN_FILE): required: the file whose contents the token endpoint accepts as the client assertion (e.g. --federated-token-file=/var/run/secrets/azure/tokens/azure-identity-token)',
    );
    const empty = join(dir, 'empty-token');
    writeFileSync(empty, '\n');
    expect(() => config(['--federated-token-file', empty])).toThrow(/^invalid setting --federated-token-file \(ARM_SIMULATOR_FEDERATED_TOKEN_FILE\): .*empty-token is empty/);
    expect(() => config(['--federated-token-file', join(dir, 'missing')])).toThrow(/--federated-token-file .*: cannot read .*missing/);
  });

  it('returns help without reading any file, and the help lists every flag with its variable and default', () => {
    expect(parseConfig(['--help'], {})).toEqual({ help: true });
    expect(USAGE).toMatch(/--create-delay DURATION +ARM_SIMULATOR_CREATE_DELAY +how long a pool create takes \(default 5s\)/);
    expect(USAGE).toMatch(/--federated-token-file FILE +ARM_SIMULATOR_FEDERATED_TOKEN_FILE /);
    expect(USAGE).toMatch(/--stopped +ARM_SIMULATOR_STOPPED /);
  });

  it('names the bad field of a faults file', () => {
    const faults = join(dir, 'faults.json');
    writeFileSync(faults, JSON.stringify([{ kind: 'QuotaExceeded' }, { kind: 'TooManyRequests', times: 0 }]));
    expect(() => config(['--federated-token-file', tokenFile, '--faults-file', faults])).toThrow(/^invalid setting --faults-file \(ARM_SIMULATOR_FAULTS_FILE\): .*faults\.json: \[1\]\.times: .*positive integer/);
  });
});
