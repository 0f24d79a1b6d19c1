import { containerEnv, expand, fieldRefValue, resourceFieldValue } from './env.js';
import { ContainerConfigError, type ObjectLookup, type Pod } from './types.js';

const lookup: ObjectLookup = {
  configMap: async (_ns, name) => (name === 'cm' ? { a: '1', b: '2' } : undefined),
  secret: async (_ns, name) => (name === 's' ? { token: Buffer.from('t0k') } : undefined),
  serviceAccountToken: async () => 'jwt',
};

const pod: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'x', tier: 'b"e' } },
  spec: { nodeName: 'n1', containers: [{ name: 'c', resources: { limits: { cpu: '1500m' }, requests: { memory: '1Gi' } } }] },
};
const container = pod.spec.containers[0]!;
const env = (c: Partial<typeof container>) =>
  containerEnv({ pod, container: { ...container, ...c }, lookup, nodeAllocatable: { memory: '8Gi', cpu: '4' }, base: { PATH: '/bin' } });

describe('container env', () => {
  it('applies envFrom, then env with value, valueFrom and $(VAR) expansion', async () => {
    await expect(
      env({
        envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }, { secretRef: { name: 'missing', optional: true } }],
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a' } } },
          { name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } },
          { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
          { name: 'MEM_LIMIT_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'URL', value: 'http://$(IP):80/$(NAME)/$$(NAME)/$(UNKNOWN)' },
          { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'cm', key: 'zzz', optional: true } } },
        ],
      }),
    ).resolves.toEqual({
      PATH: '/bin',
      CM_a: '1',
      CM_b: '2',
      A: '1',
      T: 't0k',
      NAME: 'p',
      IP: '127.0.0.1',
      APP: 'x',
      CPU: '2',
      CPU_M: '1500',
      MEM_LIMIT_MI: '8192',
      URL: 'http://127.0.0.1:80/p/$(NAME)/$(UNKNOWN)',
    });
  });

  it.each([
    [{ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'nope' } } }] }, "couldn't find key nope in Secret ns/s (env X)"],
    [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'gone', key: 'a' } } }] }, 'configmap "gone" not found (env X)'],
    [{ envFrom: [{ secretRef: { name: 'gone' } }] }, 'secret "gone" not found'],
    [{ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] }, 'unsupported fieldRef.fieldPath "spec.bogus"'],
  ])('fails like CreateContainerConfigError: %j', async (c, message) => {
    const err = await env(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerConfigError);
    expect((err as Error).message).toContain(message);
  });

  it('formats label maps as the downward API files do', () => {
    expect(fieldRefValue(pod, 'metadata.labels')).toBe('app="x"\ntier="b\\"e"');
  });

  it('rounds resources up by the divisor and falls back to the node for a missing limit', () => {
    expect(resourceFieldValue(container, { resource: 'requests.memory', divisor: '1Mi' }, {})).toBe('1024');
    expect(resourceFieldValue(container, { resource: 'limits.memory' }, { memory: '2Gi' })).toBe(String(2 * 2 ** 30));
  });

  it('expands only defined variables', () => {
    expect(expand('$(A)-$(B)-$$(A)', { A: 'a' })).toBe('a-$(B)-$(A)');
  });
});
