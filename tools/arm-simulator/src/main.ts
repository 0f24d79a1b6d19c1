#!/usr/bin/env node
/**
 * arm-simulator CLI: `npm run arm-simulator -- --federated-token-file tok --port 8443`.
 * Prints one JSON line with the URL and CA path (also written to <state-dir>/endpoint.json), then
 * serves until SIGTERM/SIGINT. A bad setting exits 2 with one line naming it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubeClientsFor, loadKubeConfig } from '@kaito-ts/cluster';
import { isSettingsError } from '@kaito-ts/core';
import { createLogger } from '@kaito-ts/logging';
import { parseConfig, USAGE } from './config.js';
import { KubeNodeSink, MemoryNodeSink } from './node-sink.js';
import { startArmSimulator } from './server.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (isSettingsError(err)) {
      process.stderr.write(`arm-simulator: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = parsed.config;
  const logger = createLogger({ level: config.logLevel, format: 'auto', defaultMeta: { component: 'arm-simulator' } });
  const nodes = config.nodes === 'kube' ? new KubeNodeSink(kubeClientsFor(loadKubeConfig(config.kubeconfig)).core) : new MemoryNodeSink();
  const sim = await startArmSimulator({ ...config, nodes, logger });
  const endpoint = {
    url: sim.url,
    caPath: sim.certificates.caPath,
    subscriptionId: config.cluster.subscriptionId,
    resourceGroup: config.cluster.resourceGroup,
    clusterName: config.cluster.name,
    location: config.cluster.location,
    tenantId: config.entra.tenantId,
    clientId: config.entra.clientId,
  };
  await writeFile(join(config.stateDir, 'endpoint.json'), `${JSON.stringify(endpoint, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(endpoint)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await sim.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`arm-simulator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
