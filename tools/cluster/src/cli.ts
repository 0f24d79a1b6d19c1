#!/usr/bin/env node
// tools/cluster CLI: `npm run cluster -- <command>`. Plain lines out; errors are one line with
// what to do, exit code 1.
import { readFileSync } from 'node:fs';
import { codedError, defineSettings, isSettingsError, parseSettings, SettingCodecs as C, settingsHelp } from '@kaito-ts/core';
import { applyPath } from './apply.js';
import { BINARY_NAMES, type BinaryName, ensureBinaries } from './binaries.js';
import { down, runningCluster, status, up } from './cluster.js';
import { addGpuNode, deleteGpuNodes, parseTaint, waitForNodeReady } from './gpu-node.js';
import { kubeClientsFor, loadKubeConfig } from './kube.js';
import { DEFAULT_KUBELET_NAME, kubeletDirs } from './kubelet/dirs.js';
import { kubeletProcessPaths } from './kubelet/process.js';
import { clusterPaths, DEFAULT_CLUSTER_NAME } from './paths.js';

const COMMANDS = `usage: npm run cluster -- <command> [options]

commands:
  up                      start the local control plane (or reuse the running one)
  down                    stop every process 'up' started and remove the cluster state
  status [--json]         show whether the cluster runs and its components
  kubeconfig [--print]    print the kubeconfig path (or its content)
  add-gpu-node --sku SKU [--pool NAME] [--name NODE] [--count N] [--taint k=v:Effect]...
               [--label k=v]... [--disk-gib N] [--no-wait] [--run-pods]
                          add kwok-managed fake GPU node(s) from the SKU catalog; --run-pods:
                          the process kubelet runs their pods as local processes
  delete-nodes [NODE...]  delete the named fake GPU nodes, or all of them
  apply PATH              server-side apply a YAML file or directory (e.g. crds/)
  build [NAME...]         build missing binaries (${BINARY_NAMES.join(', ')})`;

/** One table for every command; a flag a command does not use is ignored by it. */
const SETTINGS = defineSettings({
  cluster: { flag: 'cluster', env: 'KAITO_TS_CLUSTER', codec: C.text, default: DEFAULT_CLUSTER_NAME, description: 'cluster name', placeholder: 'NAME' },
  kubeconfig: {
    flag: 'kubeconfig',
    env: 'KAITO_TS_KUBECONFIG',
    codec: C.optional(C.text),
    description: 'add-gpu-node, delete-nodes, apply: act on that cluster (e.g. the kind path) instead of the local one',
    example: '/root/.kube/config',
    placeholder: 'PATH',
  },
  json: { flag: 'json', kind: 'switch', codec: C.boolean, default: false, description: 'status: print JSON' },
  print: { flag: 'print', kind: 'switch', codec: C.boolean, default: false, description: 'kubeconfig: print the content, not the path' },
  sku: { flag: 'sku', codec: C.optional(C.text), description: 'add-gpu-node: GPU instance type from the catalog', example: 'Standard_NC6s_v3', placeholder: 'SKU' },
  pool: { flag: 'pool', codec: C.optional(C.text), description: 'add-gpu-node: node pool label', example: 'gpu', placeholder: 'NAME' },
  name: { flag: 'name', codec: C.optional(C.text), description: 'add-gpu-node: node name (one node only)', example: 'gpu-0', placeholder: 'NODE' },
  count: { flag: 'count', codec: C.wholeNumber({ min: 1, what: 'a positive whole number' }), default: '1', description: 'add-gpu-node: how many nodes', placeholder: 'N' },
  taint: { flag: 'taint', kind: 'list', codec: C.list(C.text), description: 'add-gpu-node: a taint (repeatable)', example: 'sku=gpu:NoSchedule', placeholder: 'k=v:Effect' },
  label: { flag: 'label', kind: 'list', codec: C.list(C.text), description: 'add-gpu-node: a label (repeatable)', example: 'team=a', placeholder: 'k=v' },
  'disk-gib': { flag: 'disk-gib', codec: C.optional(C.wholeNumber({ min: 1, what: 'a positive whole number' })), description: 'add-gpu-node: ephemeral storage', example: '256', placeholder: 'N' },
  'no-wait': { flag: 'no-wait', kind: 'switch', codec: C.boolean, default: false, description: "add-gpu-node: do not wait for the node's Ready" },
  'run-pods': {
    flag: 'run-pods',
    kind: 'switch',
    codec: C.boolean,
    default: false,
    description: "add-gpu-node: the process kubelet runs the node's pods as local processes",
  },
});

const USAGE = settingsHelp(SETTINGS, COMMANDS);

class UsageError extends codedError('Usage') {}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const parsed = parseSettings(SETTINGS, rest, process.env, { positionals: true });
  if (parsed.help || command === undefined || command === 'help') {
    console.log(USAGE);
    return;
  }
  const { values, positionals } = parsed;
  const name = values.cluster;
  const log = (line: string): void => console.log(line);

  switch (command) {
    case 'up': {
      await up({ name, log });
      return;
    }
    case 'down': {
      await down({ name, log });
      return;
    }
    case 'status': {
      const s = await status({ name });
      if (values.json) {
        console.log(JSON.stringify(s, null, 2));
      } else {
        console.log(`cluster ${s.name}: ${s.ready ? 'ready' : s.exists ? 'NOT ready' : 'not running'}`);
        if (s.server !== undefined) console.log(`server: ${s.server}`);
        console.log(`kubeconfig: ${s.kubeconfig}`);
        for (const c of s.components) console.log(`  ${c.name.padEnd(24)} pid ${c.pid} ${c.alive ? 'running' : 'DEAD'}`);
      }
      if (!s.ready) process.exitCode = 1;
      return;
    }
    case 'kubeconfig': {
      const state = await runningCluster({ name });
      const path = state?.kubeconfig ?? clusterPaths(name).kubeconfig;
      if (state === undefined) throw new Error(`cluster ${name} is not running; run: npm run cluster -- up`);
      console.log(values.print ? readFileSync(path, 'utf8').trimEnd() : path);
      return;
    }
    case 'add-gpu-node': {
      if (values.sku === undefined) throw new UsageError('add-gpu-node needs --sku, e.g. --sku Standard_NC6s_v3');
      const count = values.count;
      if (count > 1 && values.name !== undefined) throw new UsageError('--name and --count > 1 cannot be combined');
      const labels = Object.fromEntries(values.label.map(parseLabel));
      const taints = values.taint.map(parseTaint);
      const disk = values['disk-gib'];
      const clients = await clients_(name, values.kubeconfig);
      for (let i = 0; i < count; i++) {
        const node = await addGpuNode(clients.core, {
          sku: values.sku,
          ...(values.pool !== undefined ? { pool: values.pool } : {}),
          ...(values.name !== undefined ? { name: values.name } : {}),
          labels,
          taints,
          ...(disk !== undefined ? { ephemeralStorageGiB: disk } : {}),
          ...(values['run-pods'] ? { runPods: DEFAULT_KUBELET_NAME } : {}),
        });
        const nodeName = node.metadata?.name ?? '';
        if (!values['no-wait']) await waitForNodeReady(clients.core, nodeName);
        const gpus = node.status?.allocatable?.['nvidia.com/gpu'] ?? '0';
        console.log(`node/${nodeName} ${values['no-wait'] ? 'created' : 'Ready'} (${values.sku}, nvidia.com/gpu=${gpus})`);
        if (values['run-pods']) console.log(`  its pods run as local processes; container logs in ${kubeletDirs(kubeletProcessPaths(clusterPaths(name)).dir).logs}`);
      }
      return;
    }
    case 'delete-nodes': {
      const clients = await clients_(name, values.kubeconfig);
      const deleted = await deleteGpuNodes(clients.core, positionals.length > 0 ? positionals : undefined);
      for (const n of deleted) console.log(`node/${n} deleted`);
      if (deleted.length === 0) console.log('no fake GPU nodes to delete');
      return;
    }
    case 'apply': {
      const [path] = positionals;
      if (path === undefined) throw new UsageError('apply needs a PATH (file or directory)');
      const clients = await clients_(name, values.kubeconfig);
      for (const obj of await applyPath(clients.kc, path)) {
        const ns = obj.metadata?.namespace;
        console.log(`${obj.kind?.toLowerCase() ?? 'object'}/${obj.metadata?.name ?? ''}${ns ? ` -n ${ns}` : ''} applied`);
      }
      return;
    }
    case 'build': {
      const names = positionals.length > 0 ? positionals : [...BINARY_NAMES];
      const unknown = names.filter((n) => !(BINARY_NAMES as readonly string[]).includes(n));
      if (unknown.length > 0) throw new UsageError(`unknown binary ${unknown.join(', ')}; known: ${BINARY_NAMES.join(', ')}`);
      await ensureBinaries(clusterPaths(name), { names: names as BinaryName[], log });
      console.log(`binaries ready in ${clusterPaths(name).binDir}`);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function clients_(name: string, kubeconfig: string | undefined): Promise<ReturnType<typeof kubeClientsFor>> {
  if (kubeconfig !== undefined) return kubeClientsFor(loadKubeConfig(kubeconfig));
  const state = await runningCluster({ name });
  if (state === undefined) throw new Error(`cluster ${name} is not running; run: npm run cluster -- up`);
  return kubeClientsFor(loadKubeConfig(state.kubeconfig));
}

function parseLabel(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`invalid --label "${text}": expected key=value`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`cluster: ${message}`);
  if (err instanceof UsageError || isSettingsError(err)) console.error("run 'npm run cluster -- help' for usage");
  process.exitCode = 1;
});
