/**
 * Attributing API requests to one controller (pure). `apiserver_request_total` has no user label,
 * so, as the reference measurement did, the controller runs under its own ServiceAccount and one
 * FlowSchema per (verb, resource) matches only that identity; the API server then counts its
 * requests in `apiserver_flowcontrol_dispatched_requests_total{flow_schema=…}`. The schemas send
 * the requests to the priority level they would reach anyway (`workload-low`, where the built-in
 * `service-accounts` schema puts a ServiceAccount), so the attribution does not change the
 * controller's treatment; they only sit ahead of it by precedence.
 */

/** The verbs API Priority and Fairness classifies (RequestInfo.Verb). */
export const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
export type Verb = (typeof VERBS)[number];
/** Verbs that change something: the "writes" of the steady state. */
export const WRITE_VERBS: readonly Verb[] = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * Resources counted apart (APF names a subresource `resource/subresource`); everything else,
 * non-resource URLs included, falls into `other`.
 */
export const RESOURCES = ['workspaces', 'workspaces/status', 'nodeclaims', 'machines', 'statefulsets', 'services', 'events', 'other'] as const;
export type CountedResource = (typeof RESOURCES)[number];

export type Counts = Readonly<Record<Verb, Readonly<Record<CountedResource, number>>>>;

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

export interface FlowSchemaOptions {
  /** Name prefix of the schemas; also how their series are found in /metrics. */
  readonly prefix: string;
  readonly priorityLevel?: string;
  /** Must be lower (earlier) than the built-in schema that would match the identity (service-accounts: 9000). */
  readonly precedence?: number;
}

export function flowSchemaName(prefix: string, verb: Verb, resource: CountedResource): string {
  return `${prefix}-${verb}-${resource.replace('/', '-')}`;
}

/** One FlowSchema per (verb, resource), matching only the ServiceAccount. */
export function flowSchemas(sa: ServiceAccountRef, options: FlowSchemaOptions): Record<string, unknown>[] {
  const precedence = options.precedence ?? 500;
  const subjects = [{ kind: 'ServiceAccount', serviceAccount: { name: sa.name, namespace: sa.namespace } }];
  return VERBS.flatMap((verb) =>
    RESOURCES.map((resource) => {
      const other = resource === 'other';
      return {
        apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
        kind: 'FlowSchema',
        metadata: { name: flowSchemaName(options.prefix, verb, resource) },
        spec: {
          priorityLevelConfiguration: { name: options.priorityLevel ?? 'workload-low' },
          // The catch-all comes after the named resources of its verb.
          matchingPrecedence: other ? precedence + 1 : precedence,
          distinguisherMethod: { type: 'ByUser' },
          rules: [
            {
              subjects,
              resourceRules: [{ verbs: [verb], apiGroups: ['*'], resources: [other ? '*' : resource], clusterScope: true, namespaces: ['*'] }],
              ...(other ? { nonResourceRules: [{ verbs: [verb], nonResourceURLs: ['*'] }] } : {}),
            },
          ],
        },
      };
    }),
  );
}

/** `flow_schema` name → dispatched count, for the series of `/metrics` text whose schema has `prefix`. */
export function dispatchedByFlowSchema(metricsText: string, prefix: string): Map<string, number> {
  const metric = 'apiserver_flowcontrol_dispatched_requests_total{';
  const out = new Map<string, number>();
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const close = line.lastIndexOf('}');
    const schema = /flow_schema="([^"]*)"/.exec(line.slice(metric.length, close))?.[1];
    if (schema === undefined || !schema.startsWith(`${prefix}-`)) continue;
    // One series per (priority level, schema); sum in case a schema moved between levels.
    out.set(schema, (out.get(schema) ?? 0) + Number(line.slice(close + 1).trim()));
  }
  return out;
}

function emptyCounts(): Record<Verb, Record<CountedResource, number>> {
  return Object.fromEntries(VERBS.map((v) => [v, Object.fromEntries(RESOURCES.map((r) => [r, 0]))])) as Record<Verb, Record<CountedResource, number>>;
}

/** The schemas' series as a verb × resource table (schemas never dispatched to count 0). */
export function countsFromMetrics(metricsText: string, prefix: string): Counts {
  const byName = dispatchedByFlowSchema(metricsText, prefix);
  const counts = emptyCounts();
  for (const verb of VERBS) for (const resource of RESOURCES) counts[verb][resource] = byName.get(flowSchemaName(prefix, verb, resource)) ?? 0;
  return counts;
}

/** `after − before`, cell by cell. */
export function diffCounts(after: Counts, before: Counts): Counts {
  const out = emptyCounts();
  for (const verb of VERBS) for (const resource of RESOURCES) out[verb][resource] = after[verb][resource] - before[verb][resource];
  return out;
}

export interface CountTotals {
  readonly total: number;
  readonly writes: number;
  readonly byVerb: Readonly<Record<Verb, number>>;
  readonly byResource: Readonly<Record<CountedResource, number>>;
}

export function totals(c: Counts): CountTotals {
  const byVerb = Object.fromEntries(VERBS.map((v) => [v, RESOURCES.reduce((s, r) => s + c[v][r], 0)])) as Record<Verb, number>;
  const byResource = Object.fromEntries(RESOURCES.map((r) => [r, VERBS.reduce((s, v) => s + c[v][r], 0)])) as Record<CountedResource, number>;
  const total = VERBS.reduce((s, v) => s + byVerb[v], 0);
  const writes = WRITE_VERBS.reduce((s, v) => s + byVerb[v], 0);
  return { total, writes, byVerb, byResource };
}
