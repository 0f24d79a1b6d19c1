/**
 * The Workspace annotations whose values the controller acts on (Kaito's keys and values). The
 * CRD cannot check them: annotations are metadata, outside the schema. On CREATE every one is
 * checked; on UPDATE only those whose value changed, so a Workspace stored before a rule existed
 * can still be updated (its finalizer removed) without being repaired first.
 */
import { Annotations, type Workspace } from '@kaito-ts/api';
import { annotationPath, error, type Finding, type WorkspaceRule } from './types.js';

/** Annotation keys the webhook knows beyond `@kaito-ts/api`'s `Annotations` (Kaito's names). */
export const WebhookAnnotations = {
  performanceMode: 'kaito.sh/performance-mode',
  useLocalWeights: 'kaito.sh/use-local-weights',
} as const;

interface AnnotationSpec {
  readonly key: string;
  readonly values: readonly string[];
  /** Kaito normalises the node image family's case; the others are compared exactly. */
  readonly ignoreCase?: boolean;
  /** What the value does, for the message. */
  readonly what: string;
}

export const ANNOTATION_VALUES: readonly AnnotationSpec[] = [
  { key: Annotations.nodeImageFamily, values: ['ubuntu', 'azurelinux'], ignoreCase: true, what: 'the OS image of provisioned nodes' },
  { key: WebhookAnnotations.performanceMode, values: ['balanced', 'interactivity', 'throughput'], what: 'how vLLM trades latency for throughput' },
  { key: WebhookAnnotations.useLocalWeights, values: ['true', 'false'], what: 'read the weights from /opt/kaito/models/<preset> on the node' },
  // Kaito runs vLLM for any other value; we refuse it, so a typo ("transformer") is not served by the wrong runtime.
  { key: Annotations.runtime, values: ['vllm', 'transformers'], what: 'the inference runtime' },
];

function check(spec: AnnotationSpec, value: string): Finding | undefined {
  const seen = spec.ignoreCase === true ? value.toLowerCase() : value;
  if (spec.values.includes(seen)) return undefined;
  const choices = spec.values.map((v) => `"${v}"`).join(', ');
  return error(annotationPath(spec.key), `expected one of ${choices} (${spec.what}), got ${JSON.stringify(value)} (e.g. ${spec.key}: ${spec.values[0] ?? ''})`);
}

const annotationsOf = (ws: Workspace | undefined): Readonly<Record<string, string>> => ws?.metadata.annotations ?? {};

export const annotationValues: WorkspaceRule = ({ operation, workspace, old }) => {
  const now = annotationsOf(workspace);
  const before = annotationsOf(old);
  return ANNOTATION_VALUES.flatMap((spec) => {
    const value = now[spec.key];
    if (value === undefined) return [];
    if (operation === 'UPDATE' && before[spec.key] === value) return [];
    const finding = check(spec, value);
    return finding === undefined ? [] : [finding];
  });
};
