/**
 * LoRA adapters of an inference Workspace (a pure planner), as Kaito serves them
 * (`kaito-project/kaito: pkg/workspace/inference/preset_inferences.go`, `pkg/workspace/image/puller.sh`):
 *
 * - an **image** adapter is pulled by an init container `puller-<name>` (skopeo) that copies the
 *   image's `/data` into `/mnt/adapter/<name>`; the adapter's `imagePullSecrets` are mounted into
 *   that init container only and tried in turn as skopeo auth files (the Secrets must be of type
 *   `kubernetes.io/dockerconfigjson`);
 * - a **volume** adapter is the user's volume source mounted read-only at `/mnt/adapter/<name>`;
 * - **strength** only where the runtime applies it: Transformers merges each adapter weighted by an
 *   env var named after it; vLLM cannot weight adapters, so a strength there is refused, as Kaito's
 *   webhook refuses it.
 *
 * `adapterProblems` is the one check of what the runtime and model allow; the controller refuses a
 * Workspace with its first problem and the admission webhook reuses it.
 */
import type { InferenceSpec } from '@kaito-ts/api';
import { PATHS, VOLUMES, type AdapterRef, type PresetModel, type RuntimeName } from '@kaito-ts/presets';
import type { V1Container, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

export type Adapter = NonNullable<InferenceSpec['adapters']>[number];

/** Kaito's puller image: skopeo plus a shell and tar. */
export const ADAPTER_PULLER_IMAGE = 'mcr.microsoft.com/aks/skopeo:1.14.4-6';
/** Where the pull Secrets of an image adapter are mounted in its puller, one folder per Secret. */
export const PULL_SECRETS_DIR = '/etc/kaito/pull-secrets';
/** The key of a `kubernetes.io/dockerconfigjson` Secret, which skopeo reads as an auth file. */
const DOCKER_CONFIG_KEY = '.dockerconfigjson';
/** A strength is a decimal in [0, 1] (Kaito's rule), e.g. `0.5` or `1`. */
const STRENGTH = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/;
/** A container or volume name is a DNS-1123 label. */
const MAX_LABEL = 63;

export interface AdapterProblem {
  /** The field path, e.g. `inference.adapters[1].strength`. */
  readonly field: string;
  readonly message: string;
}

/**
 * What is wrong with a Workspace's adapters for this model and runtime (empty: nothing). Checks
 * the strength's format and range, that the runtime can weight adapters when a strength is given
 * (vLLM cannot), and that the model accepts LoRA adapters on vLLM at all.
 */
export function adapterProblems(adapters: readonly Adapter[], target: { readonly model: Pick<PresetModel, 'name' | 'vllm'>; readonly runtime: RuntimeName }): AdapterProblem[] {
  const problems: AdapterProblem[] = [];
  if (adapters.length > 0 && target.runtime === 'vllm' && target.model.vllm?.allowLoRA === false) {
    problems.push({ field: 'inference.adapters', message: `${target.model.name} does not accept LoRA adapters on vLLM; remove the adapters or choose another preset` });
  }
  adapters.forEach((a, i) => {
    if (a.strength === undefined) return;
    const field = `inference.adapters[${i}].strength`;
    if (!STRENGTH.test(a.strength.trim())) {
      problems.push({ field, message: `expected a number between 0 and 1, got ${JSON.stringify(a.strength)} (e.g. "0.5")` });
    } else if (target.runtime === 'vllm') {
      problems.push({ field, message: `vLLM does not weight adapters; remove strength from "${a.source.name}", or serve with the transformers runtime (annotation kaito.sh/runtime: transformers)` });
    }
  });
  return problems;
}

/** What the inference container is told about the adapters (check them with `adapterProblems` first). */
export function adapterRefs(adapters: readonly Adapter[]): AdapterRef[] {
  return adapters.map((a) => ({ name: a.source.name, ...(a.strength !== undefined ? { strength: a.strength.trim() } : {}) }));
}

export interface AdapterPodParts {
  readonly initContainers: V1Container[];
  readonly volumes: V1Volume[];
  /** Extra mounts of the inference container (volume adapters); image adapters arrive through the shared `/mnt/adapter`. */
  readonly mounts: V1VolumeMount[];
}

/** Copies the image's `/data` into `/mnt/adapter/$ADAPTER_NAME`, trying each mounted pull Secret, then anonymous. */
const PULLER_SCRIPT = [
  'set -eu',
  'dest="$ADAPTER_DIR/$ADAPTER_NAME"',
  'work="$(mktemp -d)"',
  'pulled=0',
  `for auth in ${PULL_SECRETS_DIR}/*/${DOCKER_CONFIG_KEY}; do`,
  '  [ -f "$auth" ] || continue',
  '  if skopeo copy --retry-times 3 --authfile "$auth" "docker://$ADAPTER_IMAGE" "dir:$work/image"; then pulled=1; break; fi',
  'done',
  '[ "$pulled" = 1 ] || skopeo copy --retry-times 3 "docker://$ADAPTER_IMAGE" "dir:$work/image"',
  'mkdir -p "$work/root" "$dest"',
  'for blob in "$work"/image/*; do',
  '  case "$(basename "$blob")" in manifest.json|version) continue ;; esac',
  // the config blob is JSON, not a layer: tar refuses it, and that is expected
  '  tar -xf "$blob" -C "$work/root" 2>/dev/null || true',
  'done',
  '[ -d "$work/root/data" ] || { echo "adapter image $ADAPTER_IMAGE has no /data directory" >&2; exit 1; }',
  'cp -R "$work/root/data/." "$dest/"',
  'echo "adapter $ADAPTER_NAME pulled from $ADAPTER_IMAGE into $dest"',
].join('\n');

/** A DNS-1123 label from `prefix` and a name (adapter names are subdomains: dots become dashes). */
function labelName(prefix: string, name: string, index: number, taken: Set<string>): string {
  const base = `${prefix}-${name.replace(/\./g, '-')}`.slice(0, MAX_LABEL).replace(/-+$/, '');
  const unique = taken.has(base) ? `${prefix}-${index}` : base;
  taken.add(unique);
  return unique;
}

/** The init containers, volumes and mounts that put each adapter under `/mnt/adapter/<name>`. */
export function adapterPodParts(adapters: readonly Adapter[], options: { readonly pullerImage?: string } = {}): AdapterPodParts {
  const initContainers: V1Container[] = [];
  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  const takenContainers = new Set<string>();
  const takenVolumes = new Set<string>();
  adapters.forEach((a, i) => {
    const { name, image, volumeSource, imagePullSecrets = [] } = a.source;
    const dir = `${PATHS.adapters}/${name}`;
    if (volumeSource !== undefined) {
      const volume = labelName('adapter', name, i, takenVolumes);
      volumes.push({ ...(volumeSource as Omit<V1Volume, 'name'>), name: volume });
      mounts.push({ name: volume, mountPath: dir, readOnly: true });
      return;
    }
    if (image === undefined) return; // the codec admits exactly one of image or volumeSource
    const secretVolumes = imagePullSecrets.map((secret, j) => ({
      volume: { name: labelName(`pull-secret-${i}`, String(j), j, takenVolumes), secret: { secretName: secret, items: [{ key: DOCKER_CONFIG_KEY, path: DOCKER_CONFIG_KEY }] } },
      mount: { mountPath: `${PULL_SECRETS_DIR}/${secret}`, readOnly: true },
    }));
    volumes.push(...secretVolumes.map((s) => s.volume));
    initContainers.push({
      name: labelName('puller', name, i, takenContainers),
      image: options.pullerImage ?? ADAPTER_PULLER_IMAGE,
      command: ['/bin/sh', '-c', PULLER_SCRIPT],
      env: [
        { name: 'ADAPTER_NAME', value: name },
        { name: 'ADAPTER_IMAGE', value: image },
        { name: 'ADAPTER_DIR', value: PATHS.adapters },
      ],
      volumeMounts: [{ name: VOLUMES.adapters, mountPath: PATHS.adapters }, ...secretVolumes.map((s) => ({ ...s.mount, name: s.volume.name }))],
    });
  });
  return { initContainers, volumes, mounts };
}
