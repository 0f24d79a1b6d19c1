#!/usr/bin/env node
/**
 * The process kubelet as a process: `tsx tools/cluster/src/kubelet/main.ts --dir DIR --kubeconfig PATH`.
 * `npm run cluster -- up` starts it (see process.ts); it runs until SIGTERM/SIGINT, then stops
 * every container it started and exits.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@kaito-ts/controller-runtime';
import { loadKubeConfig } from '../kube.js';
import { DEFAULT_KUBELET_NAME } from './dirs.js';
import { startProcessKubelet } from './kubelet.js';

const USAGE = `usage: main.ts --dir DIR --kubeconfig PATH [--name NAME] [--images FILE] [--log-level error|warn|info|debug]`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      dir: { type: 'string' },
      kubeconfig: { type: 'string' },
      name: { type: 'string', default: DEFAULT_KUBELET_NAME },
      images: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  if (values.dir === undefined || values.kubeconfig === undefined) {
    process.stderr.write(`process-kubelet: --dir and --kubeconfig are required\n${USAGE}\n`);
    return 2;
  }
  const logger = createLogger({ level: values['log-level'], format: 'json', defaultMeta: { component: 'process-kubelet', kubelet: values.name } });
  const kubelet = await startProcessKubelet({
    kubeConfig: loadKubeConfig(values.kubeconfig),
    name: values.name,
    dir: values.dir,
    logger,
    ...(values.images !== undefined ? { imageMapFile: values.images } : {}),
  });
  // `up` waits for this file: the caches are synced and pods are being served.
  writeFileSync(join(values.dir, 'ready'), String(process.pid));
  // `on`, not `once`: tsx relays the signal it gets, and a second SIGTERM must not kill us mid-cleanup.
  await new Promise<void>((resolve) => {
    process.on('SIGTERM', () => resolve());
    process.on('SIGINT', () => resolve());
  });
  logger.info('stopping: terminating every container');
  await kubelet.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`process-kubelet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
