/**
 * A process kubelet of this run as its own OS process (`tools/cluster/src/kubelet/main.ts`), with
 * its own image map, and the claim that makes chosen provisioned nodes its own.
 *
 * Why a second kubelet: the cluster's own (started by `up`) maps images through
 * tools/cluster/kubelet-images.yaml, which cannot name this machine's trainer venv; this one's map
 * gives the tuning-runner "image" its ENV (`TRAINER_PYTHON`), as a real image would have.
 *
 * Why the claim: the kwok provisioner's nodes are simulated by kwok. A node labelled
 * `kaito-ts.dev/process-kubelet=<name>` is served by that kubelet alone (tools/cluster's rule), so
 * labelling the nodes made for the tuning Workspaces turns them into "real" nodes for this run.
 * The Job pods must carry `kaito-ts.dev/run-as-process` with a value other than "true": kwok
 * skips any pod with the annotation, and no kubelet serves it by annotation alone, so only the
 * node's owner runs it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '@kaito-ts/controller-runtime';
import { Resources } from '@kaito-ts/controller-runtime';
import { NodeResource } from '@kaito-ts/karpenter';
import { ManagedProcess } from './process.js';
import { kubeconfigPath, logDir, repoRoot } from './repo.js';

/** Must equal PROCESS_KUBELET_LABEL of tools/cluster (a process, not imported: the e2e tier drives it from outside). */
export const PROCESS_KUBELET_LABEL = 'kaito-ts.dev/process-kubelet';
/** Must equal RUN_AS_PROCESS_ANNOTATION of tools/cluster. */
export const RUN_AS_PROCESS_ANNOTATION = 'kaito-ts.dev/run-as-process';

/** One entry of the kubelet's image map (tools/cluster/kubelet-images.yaml's format). */
export interface ImageEntry {
  readonly image: string;
  readonly command?: readonly string[];
  /** `$(NAME)` is the kubelet's variable, e.g. `PATH: "/x/bin:$(PATH)"`. */
  readonly env?: Readonly<Record<string, string>>;
  /** The image's files: container path → path on this machine. */
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * The map entries of the CPU inference stand-in (tools/cluster/images): Kaito's inference image
 * (`kaito-base`, vLLM and transformers) and its skopeo image (the adapter pullers), as
 * tools/cluster/kubelet-images.yaml has them, plus this machine's trainer venv and, when given, the
 * model to serve in place of the preset's (e.g. the tiny model an adapter was trained on).
 */
export function cpuInferenceImages(o: { readonly trainerPython: string; readonly model?: string }): ImageEntry[] {
  const images = join(repoRoot(), 'tools', 'cluster', 'images');
  return [
    {
      image: '*/kaito-base',
      files: { '/workspace/vllm': join(images, 'kaito-base', 'vllm'), '/workspace/tfs': join(images, 'kaito-base', 'tfs') },
      env: { PATH: `${join(images, 'kaito-base', 'bin')}:$(PATH)`, TRAINER_PYTHON: o.trainerPython, ...(o.model !== undefined ? { KAITO_CPU_STANDIN_MODEL: o.model } : {}) },
    },
    { image: '*/skopeo', env: { PATH: `${join(images, 'skopeo', 'bin')}:$(PATH)` } },
  ];
}

export interface ProcessKubelet {
  readonly name: string;
  /** The kubelet's state folder: `logs/<namespace>_<pod>_<uid>/<container>/<restart>.log`. */
  readonly dir: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export interface ProcessKubeletProcessOptions {
  readonly name: string;
  readonly logName: string;
  readonly images: readonly ImageEntry[];
  /**
   * Its folder (removed by `stop`). Default: a new temporary one. A fixed folder lets the next
   * kubelet started there sweep the containers of one that crashed (the demo's second run).
   */
  readonly dir?: string;
}

export async function startProcessKubeletProcess(o: ProcessKubeletProcessOptions): Promise<ProcessKubelet> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), `e2e-kubelet-${o.name}-`));
  mkdirSync(dir, { recursive: true });
  const images = join(dir, 'images.yaml');
  // JSON is YAML: the map is written as JSON.
  writeFileSync(images, JSON.stringify({ images: o.images }, null, 2));
  const process = await ManagedProcess.start({
    name: 'process-kubelet',
    script: 'tools/cluster/src/kubelet/main.ts',
    args: [`--dir=${join(dir, 'state')}`, `--kubeconfig=${kubeconfigPath()}`, `--name=${o.name}`, `--images=${images}`],
    readyWhen: 'process kubelet started',
    logFile: join(logDir(), `${o.logName}.log`),
  });
  return {
    name: o.name,
    dir: join(dir, 'state'),
    process,
    /** Stops it (it stops its containers) and removes its folder, container logs included. */
    async stop() {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Labels every Node made for `workspaces` of `namespace` for kubelet `name` as soon as it appears
 * (polled every 200 ms), until stopped. A Job pod bound before the label was seen is touched
 * (an annotation) so the kubelet looks at it again. Returns the claimed node names so far.
 */
export function claimNodes(kube: KubeClient, o: { readonly namespace: string; readonly workspaces: ReadonlySet<string>; readonly kubelet: string }): { claimed: ReadonlySet<string>; stop(): void } {
  const claimed = new Set<string>();
  let stopped = false;
  const pass = async (): Promise<void> => {
    const nodes = await kube.list(NodeResource, { labelSelector: `kaito.sh/workspacenamespace=${o.namespace}` });
    for (const n of nodes) {
      const workspace = n.metadata.labels?.['kaito.sh/workspace'];
      if (workspace === undefined || !o.workspaces.has(workspace) || claimed.has(n.metadata.name)) continue;
      if (n.metadata.labels?.[PROCESS_KUBELET_LABEL] !== o.kubelet) {
        await kube.mergePatch(NodeResource, { name: n.metadata.name }, { metadata: { labels: { [PROCESS_KUBELET_LABEL]: o.kubelet } } });
      }
      claimed.add(n.metadata.name);
      await new Promise((r) => setTimeout(r, 1_000)); // the kubelet's node cache sees the label first
      const pods = await kube.list(Resources.Pod, { namespace: o.namespace, fieldSelector: `spec.nodeName=${n.metadata.name}` });
      for (const p of pods) await kube.mergePatch(Resources.Pod, { name: p.metadata.name, namespace: o.namespace }, { metadata: { annotations: { 'e2e.kaito-ts.dev/claimed-node': 'true' } } });
    }
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      await pass().catch(() => undefined); // the next pass retries (a node deleted meanwhile, a conflict)
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  void loop();
  return {
    claimed,
    stop() {
      stopped = true;
    },
  };
}
