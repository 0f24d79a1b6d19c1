/**
 * Realistic objects for the cache benchmark: Pods as the API server returns them (labels,
 * ownerReferences, managedFields, a container with env/resources/mounts, status with conditions),
 * with per-object names, UIDs, IPs and timestamps so nothing is shared by accident.
 */
export function podFixture(i: number): Record<string, unknown> {
  const name = `workspace-${Math.floor(i / 3)}-${i % 3}`;
  const uid = `${hex(i, 8)}-${hex(i * 7, 4)}-4${hex(i * 13, 3)}-a${hex(i * 17, 3)}-${hex(i * 31, 12)}`;
  const ts = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      generateName: `workspace-${Math.floor(i / 3)}-`,
      namespace: `team-${i % 20}`,
      uid,
      resourceVersion: String(100_000 + i),
      creationTimestamp: ts,
      labels: {
        'apps.kubernetes.io/pod-index': String(i % 3),
        'kaito.sh/workspace': `workspace-${Math.floor(i / 3)}`,
        'controller-revision-hash': `workspace-${Math.floor(i / 3)}-${hex(i * 101, 10)}`,
        'statefulset.kubernetes.io/pod-name': name,
      },
      annotations: { 'kaito.sh/revision': String(1 + (i % 4)) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: `workspace-${Math.floor(i / 3)}`, uid: `${hex(i * 3, 8)}-0000-4000-8000-${hex(i, 12)}`, controller: true, blockOwnerDeletion: true },
      ],
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: ts,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': {
              'f:generateName': {},
              'f:labels': { '.': {}, 'f:apps.kubernetes.io/pod-index': {}, 'f:controller-revision-hash': {}, 'f:kaito.sh/workspace': {}, 'f:statefulset.kubernetes.io/pod-name': {} },
              'f:ownerReferences': { '.': {}, [`k:{"uid":"${uid}"}`]: {} },
            },
            'f:spec': {
              'f:containers': { 'k:{"name":"model"}': { '.': {}, 'f:env': {}, 'f:image': {}, 'f:name': {}, 'f:ports': {}, 'f:resources': {}, 'f:volumeMounts': {} } },
              'f:hostname': {},
              'f:subdomain': {},
              'f:volumes': {},
            },
          },
        },
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          time: ts,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:phase': {}, 'f:podIP': {}, 'f:podIPs': {}, 'f:startTime': {} } },
          subresource: 'status',
        },
      ],
    },
    spec: {
      containers: [
        {
          name: 'model',
          image: 'mcr.microsoft.com/aks/kaito/kaito-base:0.0.8',
          command: ['/bin/sh', '-c', `python3 /workspace/vllm/inference_api.py --model=/workspace/weights --served-model-name=phi-4 --tensor-parallel-size=${1 + (i % 2)}`],
          ports: [{ containerPort: 5000, protocol: 'TCP' }],
          env: [
            { name: 'POD_INDEX', value: String(i % 3) },
            { name: 'WORKSPACE', value: `workspace-${Math.floor(i / 3)}` },
          ],
          resources: { limits: { 'nvidia.com/gpu': '1' }, requests: { 'nvidia.com/gpu': '1', cpu: '4', memory: '16Gi' } },
          volumeMounts: [{ name: 'dshm', mountPath: '/dev/shm' }, { name: `kube-api-access-${hex(i, 5)}`, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      volumes: [{ name: 'dshm', emptyDir: { medium: 'Memory' } }, { name: `kube-api-access-${hex(i, 5)}`, projected: { defaultMode: 420 } }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      nodeName: `gpu-node-${i % 500}`,
      hostname: name,
      subdomain: `workspace-${Math.floor(i / 3)}-headless`,
      tolerations: [{ key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      schedulerName: 'default-scheduler',
      priority: 0,
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: ts },
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: ts },
        { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: ts },
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: ts },
      ],
      hostIP: `172.16.${(i >> 8) & 255}.${i & 255}`,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: ts,
      containerStatuses: [
        {
          name: 'model',
          state: { running: { startedAt: ts } },
          ready: true,
          restartCount: i % 2,
          image: 'mcr.microsoft.com/aks/kaito/kaito-base:0.0.8',
          imageID: `docker-pullable://mcr.microsoft.com/aks/kaito/kaito-base@sha256:${hex(i * 7919, 64)}`,
          containerID: `containerd://${hex(i * 104729, 64)}`,
          started: true,
        },
      ],
      qosClass: 'Burstable',
    },
  };
}

function hex(n: number, width: number): string {
  let s = '';
  let x = (n * 2654435761) >>> 0;
  while (s.length < width) {
    s += x.toString(16).padStart(8, '0');
    x = (x * 1103515245 + 12345) >>> 0;
  }
  return s.slice(0, width);
}
