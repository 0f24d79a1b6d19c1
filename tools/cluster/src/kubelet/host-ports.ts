/**
 * Networking, plainly: every container process shares this machine's network, so a port a
 * container listens on is 127.0.0.1:<containerPort>. A declared `hostPort` that differs is a
 * remap: a TCP proxy from 127.0.0.1:<hostPort> to the container port, as a CNI portmap would do.
 * The pod's `kaito-ts.dev/host-ports` annotation records where each declared port is reachable.
 */
import { createServer, connect, type Server } from 'node:net';
import type { Pod } from './types.js';

export const HOST_PORTS_ANNOTATION = 'kaito-ts.dev/host-ports';

/** `{"<container>/<containerPort>": hostPort}` for every declared TCP port. */
export function hostPorts(pod: Pod): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const p of c.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP') continue;
      out[`${c.name}/${p.containerPort}`] = p.hostPort ?? p.containerPort;
    }
  }
  return out;
}

export interface PortProxies {
  close(): Promise<void>;
}

/** Starts a proxy for every remapped port; a hostPort already in use fails with the port named. */
export async function startPortProxies(pod: Pod): Promise<PortProxies> {
  const servers: Server[] = [];
  for (const [key, hostPort] of Object.entries(hostPorts(pod))) {
    const containerPort = Number(key.slice(key.lastIndexOf('/') + 1));
    if (hostPort === containerPort) continue;
    const server = createServer((inbound) => {
      const outbound = connect({ host: '127.0.0.1', port: containerPort });
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => reject(new Error(`hostPort ${hostPort} for ${key}: ${err.message}`)));
        server.listen(hostPort, '127.0.0.1', resolve);
      });
    } catch (err) {
      // Nobody gets a handle on the ones already listening: close them, or they hold their ports.
      await closeAll(servers);
      throw err;
    }
    servers.push(server);
  }
  return { close: () => closeAll(servers) };
}

async function closeAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
}
