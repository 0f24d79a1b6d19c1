/**
 * The process kubelet's directory layout and name, kept free of runtime dependencies: `up`/`down`
 * (and jest's global setup, which does not map workspace packages to their sources) import it.
 */
import { join } from 'node:path';

/** The cluster's kubelet (`up` starts it; `add-gpu-node --run-pods` labels nodes for it). */
export const DEFAULT_KUBELET_NAME = 'default';

export interface KubeletDirs {
  /** The kubelet's own directory (marker for its processes). */
  readonly root: string;
  readonly pods: string;
  readonly logs: string;
  readonly pids: string;
}

export function kubeletDirs(dir: string): KubeletDirs {
  return { root: dir, pods: join(dir, 'pods'), logs: join(dir, 'logs'), pids: join(dir, 'pids') };
}
