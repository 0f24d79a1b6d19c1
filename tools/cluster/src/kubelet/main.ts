#!/usr/bin/env node
/**
 * The process kubelet as a process: `tsx tools/cluster/src/kubelet/main.ts --dir DIR --kubeconfig PATH`.
 * `npm run cluster -- up` starts it (see process.ts); it runs until SIGTERM/SIGINT, then stops
 * every container it started and exits.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineSettings, isSettingsError, parseSettings, SettingCodecs as C, settingsHelp } from '@kaito-ts/core';
import { createLogger } from '@kaito-ts/controller-runtime';
import { loadKubeConfig } from '../kube.js';
import { DEFAULT_KUBELET_NAME } from './dirs.js';
import { startProcessKubelet } from './kubelet.js';

const SETTINGS = defineSettings({
  dir: { flag: 'dir', codec: C.absolutePath, description: "the kubelet's state directory (pods, logs, the ready file)", example: '/root/.cache/kaito-ts/clusters/kaito-ts/kubelet', placeholder: 'DIR' },
  kubeconfig: { flag: 'kubeconfig', codec: C.text, description: 'the cluster to serve', example: '/root/.cache/kaito-ts/kwok/clusters/kaito-ts/kubeconfig.yaml', placeholder: 'PATH' },
  name: { flag: 'name', codec: C.text, default: DEFAULT_KUBELET_NAME, description: 'serve nodes labelled kaito-ts.dev/process-kubelet=NAME', placeholder: 'NAME' },
  images: { flag: 'images', codec: C.optional(C.text), description: 'the image → command mapping file (default tools/cluster/kubelet-images.yaml)', example: 'kubelet-images.yaml', placeholder: 'FILE' },
  logLevel: { flag: 'log-level', codec: C.oneOf(['error', 'warn', 'info', 'debug'], { ignoreCase: true }), default: 'info', description: 'error | warn | info | debug', placeholder: 'LEVEL' },
});

async function main(): Promise<number> {
  let values;
  try {
    const parsed = parseSettings(SETTINGS, process.argv.slice(2), {});
    if (parsed.help) {
      process.stdout.write(`${settingsHelp(SETTINGS, 'usage: main.ts --dir DIR --kubeconfig PATH [options]')}\n`);
      return 0;
    }
    values = parsed.values;
  } catch (err) {
    if (!isSettingsError(err)) throw err;
    process.stderr.write(`process-kubelet: ${err.message}\n`);
    return 2;
  }
  const logger = createLogger({ level: values.logLevel, format: 'json', defaultMeta: { component: 'process-kubelet', kubelet: values.name } });
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
