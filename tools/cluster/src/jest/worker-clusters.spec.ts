import { pointAtWorkerCluster } from '../testing/jest-environment.js';
import { WORKERS_ENV, workerClusterNames } from './setup.js';

describe('workerClusterNames', () => {
  it.each([
    [1, ['kaito-ts']],
    [0, ['kaito-ts']],
    [3, ['kaito-ts', 'kaito-ts-w2', 'kaito-ts-w3']],
  ])('gives %i workers the clusters %j, the first one the base name a --runInBand run uses', (workers, names) => {
    expect(workerClusterNames('kaito-ts', workers)).toEqual(names);
  });
});

describe('pointAtWorkerCluster', () => {
  const clusters = [
    { name: 'ci', kubeconfig: '/c/ci/kubeconfig.yaml' },
    { name: 'ci-w2', kubeconfig: '/c/ci-w2/kubeconfig.yaml' },
  ];
  const env = (more: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ [WORKERS_ENV]: JSON.stringify(clusters), KUBECONFIG: '/c/ci/kubeconfig.yaml', KAITO_TS_CLUSTER: 'ci', ...more });

  it('points worker 2 at the second cluster', () => {
    const e = env({ JEST_WORKER_ID: '2' });
    pointAtWorkerCluster(e);
    expect(e).toMatchObject({ KUBECONFIG: '/c/ci-w2/kubeconfig.yaml', KAITO_TS_CLUSTER: 'ci-w2' });
  });

  it('points a run in band (worker 1, or no worker id) at the first cluster', () => {
    for (const id of ['1', undefined]) {
      const e = env(id === undefined ? {} : { JEST_WORKER_ID: id });
      pointAtWorkerCluster(e);
      expect(e).toMatchObject({ KUBECONFIG: '/c/ci/kubeconfig.yaml', KAITO_TS_CLUSTER: 'ci' });
    }
  });

  it('leaves the environment alone when global setup listed no clusters', () => {
    const e: NodeJS.ProcessEnv = { KUBECONFIG: '/mine.yaml', JEST_WORKER_ID: '2' };
    pointAtWorkerCluster(e);
    expect(e).toEqual({ KUBECONFIG: '/mine.yaml', JEST_WORKER_ID: '2' });
  });
});
