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
});
