import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { InvalidSettingsError } from './errors.js';
import { loadSettings, readSettings, usage } from './settings.js';

const minimal = { TUNING_METHOD: 'lora', OUTPUT_IMAGE: 'registry.example.com/adapters/a:1' };

function settingsError(argv: string[], env: NodeJS.ProcessEnv): string {
  try {
    loadSettings(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSettingsError);
    return (err as Error).message;
  }
  throw new Error('expected an InvalidSettingsError');
}

describe('loadSettings', () => {
  it("uses Kaito's paths by default", () => {
    expect(loadSettings([], minimal)).toMatchObject({
      method: 'lora',
      configPath: '/mnt/config/training_config.yaml',
      dataDir: '/mnt/data',
      resultsDir: '/mnt/results',
      terminationLog: '/dev/termination-log',
      outputImage: 'registry.example.com/adapters/a:1',
    });
  });

  it('prefers a flag over its env variable', () => {
    expect(loadSettings(['--method=qlora', '--results-dir', '/tmp/r'], minimal)).toMatchObject({ method: 'qlora', resultsDir: '/tmp/r' });
  });

  it('splits DATA_URLS on spaces and commas', () => {
    expect(loadSettings([], { ...minimal, DATA_URLS: 'https://a/x.parquet https://b/y.csv,https://c/z.jsonl' }).dataUrls).toEqual([
      'https://a/x.parquet',
      'https://b/y.csv',
      'https://c/z.jsonl',
    ]);
  });

  it('names the flag, the env variable and the bad URL', () => {
    expect(settingsError([], { ...minimal, DATA_URLS: 'https://ok/a.csv ftp://files/b.csv' })).toBe(
      'invalid setting --data-urls (DATA_URLS): [1]: expected an http(s) URL, got "ftp://files/b.csv" (e.g. --data-urls=https://example.com/train.parquet)',
    );
  });

  it('hides the password and signature of a bad URL', () => {
    expect(settingsError([], { ...minimal, DATA_URLS: 'ftp://user:s3cret@files/b.csv?sig=abc' })).toBe(
      'invalid setting --data-urls (DATA_URLS): [0]: expected an http(s) URL, got "ftp://files/b.csv?sig=REDACTED" (e.g. --data-urls=https://example.com/train.parquet)',
    );
  });

  it('names a missing method', () => {
    expect(settingsError([], { OUTPUT_IMAGE: 'r.io/a:1' })).toBe('invalid setting --method (TUNING_METHOD): expected one of: lora, qlora, got nothing');
  });

  it('rejects an unknown method', () => {
    expect(settingsError(['--method', 'full'], minimal)).toBe('invalid setting --method (TUNING_METHOD): expected one of: lora, qlora, got "full"');
  });

  it('requires exactly one output', () => {
    expect(settingsError([], { ...minimal, OUTPUT_VOLUME_DIR: '/mnt/output' })).toBe(
      'invalid setting --output-image (OUTPUT_IMAGE) / --output-volume (OUTPUT_VOLUME_DIR): expected exactly one of them',
    );
  });

  it('rejects an unknown flag', () => {
    expect(settingsError(['--push-to=x'], minimal)).toBe('invalid setting: unknown flag --push-to; see --help');
  });

  it.each([
    [['--max-download-bytes=1e9'], 'invalid setting --max-download-bytes (DATA_MAX_BYTES): expected a positive number of bytes, got "1e9" (e.g. --max-download-bytes=68719476736)'],
    [['--trainer-processes', '0x2'], 'invalid setting --trainer-processes (TRAINER_PROCESSES): expected a process count from 1 to 64, got "0x2" (e.g. --trainer-processes=1)'],
    [['--grace-period-seconds', ' '], 'invalid setting --grace-period-seconds (GRACE_PERIOD_SECONDS): expected seconds between 0 and 3600, got " " (e.g. --grace-period-seconds=25)'],
    [['--log-level=verbose'], 'invalid setting --log-level (LOG_LEVEL): expected one of: error, warn, info, debug, got "verbose" (e.g. --log-level=info)'],
    [['--data-dir'], 'invalid setting --data-dir (DATA_DIR): expected a value (e.g. --data-dir=/mnt/data)'],
  ])('rejects %p with one line naming the flag, the variable and an example', (argv, message) => {
    expect(settingsError(argv, minimal)).toBe(message);
  });

  it('reads numbers, lists and an upper-case log level', () => {
    expect(loadSettings([], { ...minimal, GRACE_PERIOD_SECONDS: '2.5', INSECURE_REGISTRIES: 'a:5000, b', LOG_LEVEL: 'DEBUG' })).toMatchObject({
      gracePeriodSeconds: 2.5,
      insecureRegistries: ['a:5000', 'b'],
      logLevel: 'debug',
      trainerProcesses: 1,
    });
  });

  it('answers --help without decoding anything', () => {
    expect(readSettings(['--help'], {})).toEqual({ help: true });
    expect(usage()).toContain('--data-dir DIR');
  });

  it('rejects a relative path', () => {
    expect(settingsError(['--data-dir=data'], minimal)).toBe('invalid setting --data-dir (DATA_DIR): expected an absolute path, got "data" (e.g. --data-dir=/mnt/data)');
  });
});

describe('the tuning-runner process', () => {
  it('prints one line and exits 2 on a bad setting', () => {
    const root = join(__dirname, '..', '..', '..');
    // The source condition resolves @kaito-ts/* to TypeScript, so no build is needed.
    const run = spawnSync(process.execPath, ['--conditions=@kaito-ts/source', join(root, 'node_modules/tsx/dist/cli.mjs'), join(__dirname, 'main.ts'), '--method=full'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', OUTPUT_IMAGE: 'r.io/a:1' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('tuning-runner: invalid setting --method (TUNING_METHOD): expected one of: lora, qlora, got "full"\n');
    expect(run.stdout).toBe('');
  });
});
