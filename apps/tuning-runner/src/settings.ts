/**
 * The runner's contract with the workspace controller: flags with env fallbacks, decoded once at
 * start-up. A bad setting is one clear line and exit code 2.
 */
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { HttpUrl, TuningMethod } from '@kaito-ts/api';
import { issuesOf } from '@kaito-ts/core';
import { InvalidSettingsError } from './errors.js';
import { parseInputUrl, redactUrl } from './data/download.js';

interface SettingSpec {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  readonly default?: string;
}

/** Every setting: `--flag value` / `--flag=value`, else the env variable, else the default. */
export const SETTINGS = {
  method: { flag: 'method', env: 'TUNING_METHOD', help: 'lora | qlora' },
  preset: { flag: 'preset', env: 'PRESET_NAME', help: 'preset model name; image annotation sh.kaito.model.name and tuning defaults' },
  configPath: { flag: 'config', env: 'TUNING_CONFIG_PATH', help: 'training_config.yaml path', default: '/mnt/config/training_config.yaml' },
  dataDir: { flag: 'data-dir', env: 'DATA_DIR', help: 'mounted input directory (used when no URLs are given)', default: '/mnt/data' },
  dataUrls: { flag: 'data-urls', env: 'DATA_URLS', help: 'input URLs, space or comma separated; #sha256=<hex> adds a checksum' },
  maxDownloadBytes: { flag: 'max-download-bytes', env: 'DATA_MAX_BYTES', help: 'per-URL size limit in bytes', default: String(64 * 1024 ** 3) },
  resultsDir: { flag: 'results-dir', env: 'RESULTS_DIR', help: "trainer output_dir when the config sets none", default: '/mnt/results' },
  workDir: { flag: 'work-dir', env: 'WORK_DIR', help: 'downloads and the normalised dataset', default: '/tmp/kaito-tuning' },
  progressFile: { flag: 'progress-file', env: 'PROGRESS_FILE', help: 'progress JSON (default <results-dir>/progress.json)' },
  terminationLog: { flag: 'termination-log', env: 'TERMINATION_LOG', help: 'Kubernetes termination message path', default: '/dev/termination-log' },
  outputImage: { flag: 'output-image', env: 'OUTPUT_IMAGE', help: 'push the adapter to this image reference' },
  outputVolume: { flag: 'output-volume', env: 'OUTPUT_VOLUME_DIR', help: 'copy the adapter into this directory instead of pushing' },
  dockerConfig: { flag: 'docker-config', env: 'DOCKER_CONFIG', help: 'directory holding config.json with registry credentials', default: `${process.env.HOME ?? '/root'}/.docker` },
  insecureRegistries: { flag: 'insecure-registries', env: 'INSECURE_REGISTRIES', help: 'registries (host[:port]) reached over plain http', default: '' },
  modelDir: { flag: 'model-dir', env: 'MODEL_DIR', help: 'base model weights when the config names none', default: '/workspace/tfs/weights' },
  python: { flag: 'python', env: 'TRAINER_PYTHON', help: 'python interpreter for the trainer', default: 'python3' },
  trainerDir: { flag: 'trainer-dir', env: 'TRAINER_DIR', help: 'directory holding the kaito_trainer package' },
  trainerLauncher: { flag: 'trainer-launcher', env: 'TRAINER_LAUNCHER', help: 'python (one process) or accelerate (accelerate launch, one process per GPU)', default: 'python' },
  trainerProcesses: { flag: 'trainer-processes', env: 'TRAINER_PROCESSES', help: 'processes for accelerate launch (one per GPU)', default: '1' },
  gracePeriodSeconds: { flag: 'grace-period-seconds', env: 'GRACE_PERIOD_SECONDS', help: 'after SIGTERM, how long the trainer gets to checkpoint', default: '25' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', help: 'error | warn | info | debug', default: 'info' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

const splitList = (s: string): string[] => s.split(/[\s,]+/).filter(Boolean);

const InputUrlList = new t.Type<string[], string[], unknown>(
  'InputUrls',
  (u): u is string[] => Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c, 'expected URLs');
    const urls = splitList(u);
    for (const [i, raw] of urls.entries()) {
      const hash = raw.indexOf('#');
      const base = hash === -1 ? raw : raw.slice(0, hash);
      if (!HttpUrl.is(base)) return t.failure(u, c, `[${i}]: expected an http(s) URL, got ${JSON.stringify(redactUrl(raw))}`);
      try {
        parseInputUrl(raw);
      } catch (err) {
        return t.failure(u, c, `[${i}]: ${(err as Error).message}`);
      }
    }
    return t.success(urls);
  },
  t.identity,
);

const NumberFromString = (name: string, ok: (n: number) => boolean, what: string): t.Type<number, string, unknown> =>
  new t.Type<number, string, unknown>(
    name,
    (u): u is number => typeof u === 'number' && ok(u),
    (u, c) => {
      const n = typeof u === 'string' && u.trim() !== '' ? Number(u) : NaN;
      return ok(n) ? t.success(n) : t.failure(u, c, `expected ${what}, got ${JSON.stringify(u)}`);
    },
    String,
  );

const NonEmpty = t.refinement(t.string, (s) => s.trim() !== '', 'NonEmptyString');
const AbsolutePath = new t.Type<string, string, unknown>(
  'AbsolutePath',
  (u): u is string => typeof u === 'string' && u.startsWith('/'),
  (u, c) => (typeof u === 'string' && u.startsWith('/') ? t.success(u) : t.failure(u, c, `expected an absolute path, got ${JSON.stringify(u)}`)),
  t.identity,
);
const ImageRef = new t.Type<string, string, unknown>(
  'ImageReference',
  (u): u is string => typeof u === 'string',
  (u, c) =>
    typeof u === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/.test(u) && !u.includes('://')
      ? t.success(u)
      : t.failure(u, c, `expected an image reference like registry.example.com/repo:tag, got ${JSON.stringify(u)}`),
  t.identity,
);

export const Settings = t.intersection([
  t.type({
    method: TuningMethod,
    configPath: AbsolutePath,
    dataDir: AbsolutePath,
    maxDownloadBytes: NumberFromString('Bytes', (n) => Number.isInteger(n) && n > 0, 'a positive number of bytes'),
    resultsDir: AbsolutePath,
    workDir: AbsolutePath,
    terminationLog: AbsolutePath,
    dockerConfig: AbsolutePath,
    insecureRegistries: t.string,
    modelDir: AbsolutePath,
    python: NonEmpty,
    trainerProcesses: NumberFromString('Processes', (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'a process count from 1 to 64'),
    trainerLauncher: t.keyof({ python: null, accelerate: null }),
    gracePeriodSeconds: NumberFromString('Seconds', (n) => n >= 0 && n <= 3600, 'seconds between 0 and 3600'),
    logLevel: t.keyof({ error: null, warn: null, info: null, debug: null }),
  }),
  t.partial({
    preset: NonEmpty,
    dataUrls: InputUrlList,
    progressFile: AbsolutePath,
    outputImage: ImageRef,
    outputVolume: AbsolutePath,
    trainerDir: AbsolutePath,
  }),
]);
export type Settings = t.TypeOf<typeof Settings>;

/** Reads raw strings from argv and env; unknown flags are errors. */
export function rawSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const byFlag = new Map<string, SettingName>(Object.entries(SETTINGS).map(([name, spec]) => [spec.flag, name as SettingName]));
  const raw: Record<string, string> = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') raw[name] = fromEnv;
    else if (spec.default !== undefined) raw[name] = spec.default;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m?.[1]) throw new InvalidSettingsError(`invalid setting: unexpected argument ${JSON.stringify(arg)}; flags look like --name=value`);
    const name = byFlag.get(m[1]);
    if (!name) throw new InvalidSettingsError(`invalid setting: unknown flag --${m[1]}`);
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new InvalidSettingsError(`invalid setting --${m[1]}: expected a value`);
      i++;
    }
    raw[name] = value;
  }
  return raw;
}

/** Decodes settings; the error names the flag and its env variable. */
export function loadSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const raw = rawSettings(argv, env);
  const result = Settings.decode(raw);
  if (isLeft(result)) {
    const issue = issuesOf(result.left)[0];
    const key = (issue?.path.split(/[.[]/)[0] ?? '') as SettingName;
    const spec: SettingSpec | undefined = SETTINGS[key];
    const name = spec ? `--${spec.flag} (${spec.env})` : key;
    throw new InvalidSettingsError(`invalid setting ${name}: ${issue?.message ?? 'invalid'}`);
  }
  const s = result.right;
  if ((s.outputImage === undefined) === (s.outputVolume === undefined)) {
    throw new InvalidSettingsError(
      'invalid setting --output-image (OUTPUT_IMAGE) / --output-volume (OUTPUT_VOLUME_DIR): expected exactly one of them',
    );
  }
  return s;
}

export function insecureRegistryList(s: Settings): string[] {
  return splitList(s.insecureRegistries);
}

export function usage(): string {
  const lines = Object.values(SETTINGS).map((spec: SettingSpec) => {
    const def = spec.default !== undefined && spec.default !== '' ? ` (default ${spec.default})` : '';
    return `  --${spec.flag.padEnd(22)} ${spec.env.padEnd(22)} ${spec.help}${def}`;
  });
  return ['usage: tuning-runner [--flag=value …]; each flag falls back to its env variable', ...lines].join('\n');
}
