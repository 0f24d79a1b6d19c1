import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterPaths } from '../paths.js';
import { ensureKubeletProcess, kubeletProcessPaths } from './process.js';

describe('ensureKubeletProcess', () => {
  it('does not start the kubelet without root, says so, and lets up go on', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kubelet-process-spec-'));
    try {
      const paths = clusterPaths('spec', { KAITO_TS_CACHE: cache });
      const lines: string[] = [];
      await expect(ensureKubeletProcess(paths, (l) => lines.push(l), 5_000, 1000)).resolves.toBeUndefined();
      expect(lines).toEqual([expect.stringContaining('process kubelet not started: it needs root')]);
      expect(existsSync(kubeletProcessPaths(paths).pidFile)).toBe(false);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
