import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostPorts, startPortProxies } from './host-ports.js';
import type { Pod } from './types.js';

const pod = (containerPort: number, hostPort?: number): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u' },
  spec: {
    containers: [
      { name: 'web', ports: [{ containerPort, ...(hostPort !== undefined ? { hostPort } : {}) }, { containerPort: 53, protocol: 'UDP' }] },
    ],
  },
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('host ports', () => {
  it('records every declared TCP port with the host port it is reachable on', () => {
    expect(hostPorts(pod(5000))).toEqual({ 'web/5000': 5000 });
    expect(hostPorts(pod(5000, 18080))).toEqual({ 'web/5000': 18080 });
  });

  it('proxies a remapped host port to the container port on 127.0.0.1', async () => {
    const server = createServer((_req, res) => res.end('from the container'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const containerPort = (server.address() as AddressInfo).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const hostPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const proxies = await startPortProxies(pod(containerPort, hostPort));
    try {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`);
      expect(await res.text()).toBe('from the container');
    } finally {
      await proxies.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('closes the proxies it opened when a later host port is taken, and names that port', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const takenPort = (taken.address() as AddressInfo).port;
    const firstPort = await freePort();
    const two: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u' },
      spec: { containers: [{ name: 'web', ports: [{ containerPort: 1, hostPort: firstPort }, { containerPort: 2, hostPort: takenPort }] }] },
    };
    try {
      await expect(startPortProxies(two)).rejects.toThrow(`hostPort ${takenPort} for web/2`);
      // The first proxy is closed again: its port can be listened on.
      const again = createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(firstPort, '127.0.0.1', resolve);
      });
      await new Promise<void>((r) => again.close(() => r()));
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
