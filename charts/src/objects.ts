// Codecs for what the charts render, decoded once with @kaito-ts/core's decode layer. They state
// what the tests require of every object (the labels) and of every pod (the restricted security
// context); field-by-field validity against the API's own schema is the server's job, checked by
// the integration test's server-side dry run.
import * as t from 'io-ts';
import { ObjectMeta, StringMap } from '@kaito-ts/core';

const literalTrue = t.literal(true);
const literalFalse = t.literal(false);

/** The labels every object carries (each chart's templates/_helpers.tpl, "labels"). */
export const ChartLabels = t.type(
  {
    'app.kubernetes.io/name': t.string,
    'app.kubernetes.io/instance': t.string,
    'app.kubernetes.io/version': t.string,
    'app.kubernetes.io/managed-by': t.literal('Helm'),
    'app.kubernetes.io/part-of': t.literal('kaito-ts'),
    'helm.sh/chart': t.string,
  },
  'ChartLabels',
);

export const LabelledObject = t.type(
  { apiVersion: t.string, kind: t.string, metadata: t.intersection([ObjectMeta, t.type({ labels: ChartLabels })]) },
  'LabelledObject',
);
export type LabelledObject = t.TypeOf<typeof LabelledObject>;

const SeccompRuntimeDefault = t.type({ type: t.literal('RuntimeDefault') });

/** The restricted Pod Security Standard, and then some (read-only root filesystem). */
export const RestrictedContainer = t.type(
  {
    name: t.string,
    image: t.string,
    env: t.array(t.intersection([t.type({ name: t.string }), t.partial({ value: t.string, valueFrom: t.unknown })])),
    resources: t.type({ requests: t.type({ cpu: t.string, memory: t.string }), limits: t.type({ memory: t.string }) }),
    livenessProbe: t.type({ httpGet: t.type({ path: t.literal('/healthz'), port: t.literal('health') }) }),
    readinessProbe: t.type({ httpGet: t.type({ path: t.literal('/readyz'), port: t.literal('health') }) }),
    ports: t.array(t.type({ name: t.string, containerPort: t.number })),
    securityContext: t.type({
      allowPrivilegeEscalation: literalFalse,
      readOnlyRootFilesystem: literalTrue,
      runAsNonRoot: literalTrue,
      privileged: literalFalse,
      capabilities: t.type({ drop: t.tuple([t.literal('ALL')]) }),
      seccompProfile: SeccompRuntimeDefault,
    }),
  },
  'RestrictedContainer',
);
export type RestrictedContainer = t.TypeOf<typeof RestrictedContainer>;

export const Deployment = t.type(
  {
    apiVersion: t.literal('apps/v1'),
    kind: t.literal('Deployment'),
    metadata: t.type({ name: t.string, namespace: t.string, labels: ChartLabels }),
    spec: t.type({
      replicas: t.number,
      selector: t.type({ matchLabels: StringMap }),
      template: t.type({
        metadata: t.type({ labels: ChartLabels }),
        spec: t.intersection([
          t.type({
            serviceAccountName: t.string,
            securityContext: t.type({ runAsNonRoot: literalTrue, runAsUser: t.number, seccompProfile: SeccompRuntimeDefault }),
            containers: t.tuple([RestrictedContainer]),
          }),
          t.partial({ priorityClassName: t.string, nodeSelector: StringMap }),
        ]),
      }),
    }),
  },
  'Deployment',
);
export type Deployment = t.TypeOf<typeof Deployment>;

export const PolicyRule = t.intersection([
  t.type({ apiGroups: t.array(t.string), resources: t.array(t.string), verbs: t.array(t.string) }),
  t.partial({ resourceNames: t.array(t.string) }),
]);
export type PolicyRule = t.TypeOf<typeof PolicyRule>;

export const RoleLike = t.type(
  { kind: t.union([t.literal('ClusterRole'), t.literal('Role')]), metadata: t.intersection([t.type({ name: t.string }), t.partial({ namespace: t.string })]), rules: t.array(PolicyRule) },
  'Role',
);
export type RoleLike = t.TypeOf<typeof RoleLike>;

export const Binding = t.type(
  {
    kind: t.union([t.literal('ClusterRoleBinding'), t.literal('RoleBinding')]),
    metadata: t.intersection([t.type({ name: t.string }), t.partial({ namespace: t.string })]),
    roleRef: t.type({ apiGroup: t.literal('rbac.authorization.k8s.io'), kind: t.union([t.literal('ClusterRole'), t.literal('Role')]), name: t.string }),
    subjects: t.array(t.type({ kind: t.literal('ServiceAccount'), name: t.string, namespace: t.string })),
  },
  'Binding',
);
export type Binding = t.TypeOf<typeof Binding>;

export const ServiceAccount = t.type(
  { kind: t.literal('ServiceAccount'), metadata: t.intersection([t.type({ name: t.string, namespace: t.string }), t.partial({ annotations: StringMap })]) },
  'ServiceAccount',
);
export type ServiceAccount = t.TypeOf<typeof ServiceAccount>;

export const Service = t.type(
  { kind: t.literal('Service'), spec: t.type({ selector: StringMap, ports: t.array(t.type({ name: t.string, port: t.number, targetPort: t.string })) }) },
  'Service',
);

export const ConfigMap = t.type({ kind: t.literal('ConfigMap'), metadata: t.type({ name: t.string, namespace: t.string }), data: StringMap }, 'ConfigMap');

export const Secret = t.type({ kind: t.literal('Secret'), metadata: t.type({ name: t.string, namespace: t.string }), type: t.literal('Opaque') }, 'Secret');

export const ValidatingWebhookConfiguration = t.type(
  {
    kind: t.literal('ValidatingWebhookConfiguration'),
    metadata: t.type({ name: t.string }),
    webhooks: t.tuple([
      t.type({
        name: t.string,
        failurePolicy: t.union([t.literal('Fail'), t.literal('Ignore')]),
        sideEffects: t.literal('None'),
        admissionReviewVersions: t.array(t.string),
        clientConfig: t.type({ service: t.type({ name: t.string, namespace: t.string, path: t.string, port: t.number }) }),
        rules: t.array(t.type({ apiGroups: t.array(t.string), resources: t.array(t.string), operations: t.array(t.string) })),
      }),
    ]),
  },
  'ValidatingWebhookConfiguration',
);

/** The codec for each kind a chart may render; a kind not listed here fails the tests. */
export const CODECS: Readonly<Record<string, t.Decoder<unknown, unknown>>> = {
  Deployment,
  ClusterRole: RoleLike,
  Role: RoleLike,
  ClusterRoleBinding: Binding,
  RoleBinding: Binding,
  ServiceAccount,
  Service,
  ConfigMap,
  Secret,
  ValidatingWebhookConfiguration,
};
