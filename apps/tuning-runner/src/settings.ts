/**
 * The runner's contract with the workspace controller: flags with env fallbacks, decoded once at
 * start-up by the repository's settings helper (@kaito-ts/core). A bad setting is one clear line
 * and exit code 2.
 */
import * as t from 'io-ts';
import { HttpUrl, TuningMethod } from '@kaito-ts/api';
import { defineSettings, isSettingsError, parseSettings, SettingCodecs as C, settingsConflict, settingsHelp, type SettingsOf } from '@kaito-ts/core';
import { InvalidSettingsError } from './errors.js';
import { parseInputUrl, redactUrl } from './data/download.js';

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

/** `host[:port]` names, space or comma separated (as DATA_URLS), possibly none. */
const HostList = new t.Type<string[], string[], unknown>(
  'Hosts',
  (u): u is string[] => Array.isArray(u),
  (u, c) => (typeof u === 'string' ? t.success(splitList(u)) : t.failure(u, c, 'expected host[:port] names')),
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

/** Every setting: `--flag value` / `--flag=value`, else the env variable, else the default. */
export const SETTINGS = defineSettings({
  method: { flag: 'method', env: 'TUNING_METHOD', codec: TuningMethod, description: 'lora | qlora', placeholder: 'lora|qlora' },
  preset: { flag: 'preset', env: 'PRESET_NAME', codec: C.optional(C.text), description: 'preset model name; image annotation sh.kaito.model.name and tuning defaults', placeholder: 'NAME' },
  configPath: { flag: 'config', env: 'TUNING_CONFIG_PATH', codec: C.absolutePath, default: '/mnt/config/training_config.yaml', description: 'training_config.yaml path', placeholder: 'PATH' },
  dataDir: { flag: 'data-dir', env: 'DATA_DIR', codec: C.absolutePath, default: '/mnt/data', description: 'mounted input directory (used when no URLs are given)', placeholder: 'DIR' },
  dataUrls: {
    flag: 'data-urls',
    env: 'DATA_URLS',
    codec: C.optional(InputUrlList),
    description: 'input URLs, space or comma separated; #sha256=<hex> adds a checksum',
    example: 'https://example.com/train.parquet',
    placeholder: 'URLS',
  },
  maxDownloadBytes: {
    flag: 'max-download-bytes',
    env: 'DATA_MAX_BYTES',
    codec: C.wholeNumber({ min: 1, what: 'a positive number of bytes' }),
    default: String(64 * 1024 ** 3),
    description: 'per-URL size limit in bytes',
    placeholder: 'BYTES',
  },
  resultsDir: { flag: 'results-dir', env: 'RESULTS_DIR', codec: C.absolutePath, default: '/mnt/results', description: 'trainer output_dir when the config sets none', placeholder: 'DIR' },
  workDir: { flag: 'work-dir', env: 'WORK_DIR', codec: C.absolutePath, default: '/tmp/kaito-tuning', description: 'downloads and the normalised dataset', placeholder: 'DIR' },
  progressFile: {
    flag: 'progress-file',
    env: 'PROGRESS_FILE',
    codec: C.optional(C.absolutePath),
    description: 'progress JSON (default <results-dir>/progress.json)',
    example: '/mnt/results/progress.json',
    placeholder: 'PATH',
  },
  progressConfigMap: {
    flag: 'progress-configmap',
    env: 'PROGRESS_CONFIGMAP',
    codec: C.optional(C.text),
    description: 'also write progress into this ConfigMap of the pod\u2019s namespace (the workspace controller\u2019s; key progress.json)',
    example: 'my-workspace-tuning-progress',
    placeholder: 'NAME',
  },
  podNamespace: { flag: 'pod-namespace', env: 'POD_NAMESPACE', codec: C.optional(C.text), description: 'the pod\u2019s namespace (downward API), for --progress-configmap', placeholder: 'NS' },
  apiServerHost: { flag: 'api-server-host', env: 'KUBERNETES_SERVICE_HOST', codec: C.optional(C.text), description: 'the API server, for --progress-configmap (set in every pod)', placeholder: 'HOST' },
  apiServerPort: { flag: 'api-server-port', env: 'KUBERNETES_SERVICE_PORT', codec: C.wholeNumber({ min: 1, max: 65535, what: 'a port' }), default: '443', description: 'the API server port', placeholder: 'PORT' },
  serviceAccountDir: {
    flag: 'service-account-dir',
    env: 'SERVICE_ACCOUNT_DIR',
    codec: C.absolutePath,
    default: '/var/run/secrets/kubernetes.io/serviceaccount',
    description: 'token and ca.crt for --progress-configmap',
    placeholder: 'DIR',
  },
  terminationLog: { flag: 'termination-log', env: 'TERMINATION_LOG', codec: C.absolutePath, default: '/dev/termination-log', description: 'Kubernetes termination message path', placeholder: 'PATH' },
  outputImage: { flag: 'output-image', env: 'OUTPUT_IMAGE', codec: C.optional(ImageRef), description: 'push the adapter to this image reference', placeholder: 'IMAGE' },
  outputVolume: {
    flag: 'output-volume',
    env: 'OUTPUT_VOLUME_DIR',
    codec: C.optional(C.absolutePath),
    description: 'copy the adapter into this directory instead of pushing',
    example: '/mnt/output',
    placeholder: 'DIR',
  },
  dockerConfig: {
    flag: 'docker-config',
    env: 'DOCKER_CONFIG',
    codec: C.absolutePath,
    default: `${process.env.HOME ?? '/root'}/.docker`,
    description: 'directory holding config.json with registry credentials',
    placeholder: 'DIR',
  },
  insecureRegistries: { flag: 'insecure-registries', env: 'INSECURE_REGISTRIES', codec: HostList, default: '', description: 'registries (host[:port]) reached over plain http', placeholder: 'HOSTS' },
  modelDir: { flag: 'model-dir', env: 'MODEL_DIR', codec: C.absolutePath, default: '/workspace/tfs/weights', description: 'base model weights when the config names none', placeholder: 'DIR' },
  python: { flag: 'python', env: 'TRAINER_PYTHON', codec: C.text, default: 'python3', description: 'python interpreter for the trainer', placeholder: 'PATH' },
  trainerDir: { flag: 'trainer-dir', env: 'TRAINER_DIR', codec: C.optional(C.absolutePath), description: 'directory holding the kaito_trainer package', example: '/app/trainer', placeholder: 'DIR' },
  trainerLauncher: {
    flag: 'trainer-launcher',
    env: 'TRAINER_LAUNCHER',
    codec: C.oneOf(['python', 'accelerate']),
    default: 'python',
    description: 'python (one process) or accelerate (accelerate launch, one process per GPU)',
    placeholder: 'NAME',
  },
  trainerProcesses: {
    flag: 'trainer-processes',
    env: 'TRAINER_PROCESSES',
    codec: C.wholeNumber({ min: 1, max: 64, what: 'a process count from 1 to 64' }),
    default: '1',
    description: 'processes for accelerate launch (one per GPU)',
    placeholder: 'N',
  },
  gracePeriodSeconds: {
    flag: 'grace-period-seconds',
    env: 'GRACE_PERIOD_SECONDS',
    codec: C.decimal({ min: 0, max: 3600, what: 'seconds between 0 and 3600' }),
    default: '25',
    description: 'after SIGTERM, how long the trainer gets to checkpoint',
    placeholder: 'SECONDS',
  },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', codec: C.oneOf(['error', 'warn', 'info', 'debug'], { ignoreCase: true }), default: 'info', description: 'error | warn | info | debug', placeholder: 'LEVEL' },
});

export type Settings = SettingsOf<typeof SETTINGS>;

export type ReadSettings = { readonly help: true } | { readonly help: false; readonly settings: Settings };

/** Reads settings from argv and env; a bad one throws InvalidSettingsError naming the flag and its variable. */
export function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): ReadSettings {
  let parsed;
  try {
    parsed = parseSettings(SETTINGS, argv, env);
  } catch (err) {
    if (isSettingsError(err)) throw new InvalidSettingsError(err.message, { cause: err });
    throw err;
  }
  if (parsed.help) return { help: true };
  const s = parsed.values;
  if ((s.outputImage === undefined) === (s.outputVolume === undefined)) {
    throw new InvalidSettingsError(settingsConflict([SETTINGS.outputImage, SETTINGS.outputVolume], 'expected exactly one of them').message);
  }
  return { help: false, settings: s };
}

/** `readSettings` for callers that never pass --help (tests, embedding). */
export function loadSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const read = readSettings(argv, env);
  if (read.help) throw new InvalidSettingsError('invalid setting: --help is not a setting here');
  return read.settings;
}

export function usage(): string {
  return settingsHelp(SETTINGS, 'usage: tuning-runner [--flag=value …]; each flag falls back to its environment variable');
}
