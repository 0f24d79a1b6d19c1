import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterPaths } from '../paths.js';
import { ensureKubeletProcess, kubeletProcessPaths } from './process.js';

describe('ensureKubeletProcess', () => {
  it('does not start the kubelet where this user can get no mount namespace, says what to change, and lets up go on', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kubelet-process-spec-'));
    // An unshare that refuses user namespaces, as a kernel with them switched off does.
    const bin = join(cache, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'unshare'), '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n');
    chmodSync(join(bin, 'unshare'), 0o755);
    const path = process.env['PATH'];
    process.env['PATH'] = `${bin}:${path ?? ''}`;
    try {
      const paths = clusterPaths('spec', { KAITO_TS_CACHE: cache });
      const lines: string[] = [];
      await expect(ensureKubeletProcess(paths, (l) => lines.push(l), 5_000, 4242)).resolves.toBeUndefined();
      expect(lines).toEqual([
        expect.stringMatching(/^cluster: process kubelet not started: .*as uid 4242 that needs unprivileged user namespaces, which this machine refuses \(unshare --user: unshare: unshare failed: Operation not permitted\): allow them \(sysctl -w user.max_user_namespaces=15000.*\) or run the cluster as root; pods on --run-pods nodes .* stay Pending$/),
      ]);
      expect(existsSync(kubeletProcessPaths(paths).pidFile)).toBe(false);
    } finally {
      process.env['PATH'] = path;
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
