/**
 * The real kubectl (what a user types), against the test cluster: `kubectl apply` of a Workspace
 * and `kubectl get workspace`'s table. Rejections (e.g. by an admission webhook) come back as
 * the exit code and stderr rather than as a thrown error, so tests can read the message.
 */
import { execFile } from 'node:child_process';
import { kubeconfigPath } from './repo.js';

/** KUBECTL overrides; the machines this repository tests on have it at /usr/bin/kubectl. */
const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function kubectl(args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(KUBECTL, [`--kubeconfig=${kubeconfigPath()}`, ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(new Error(`kubectl ${args.join(' ')}: ${err.message}`, { cause: err }));
        return;
      }
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** `kubectl apply -f -` of `yaml`; throws with kubectl's stderr unless it succeeded. */
export async function kubectlApply(yaml: string): Promise<string> {
  const r = await kubectl(['apply', '-f', '-'], yaml);
  if (r.code !== 0) throw new Error(`kubectl apply failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** `kubectl get workspace NAME -n NS`: the header's columns and the row's cells. */
export async function workspaceTable(name: string, namespace: string): Promise<{ columns: string[]; cells: string[] }> {
  const r = await kubectl(['get', 'workspace', name, '-n', namespace]);
  if (r.code !== 0) throw new Error(`kubectl get workspace ${name} failed (exit ${r.code}): ${r.stderr.trim()}`);
  const [header = '', row = ''] = r.stdout.trim().split('\n');
  return { columns: header.trim().split(/\s+/), cells: row.trim().split(/\s+/) };
}
