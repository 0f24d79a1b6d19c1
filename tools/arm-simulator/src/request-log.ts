/** Every request the simulator answered, and counts by method, route and status. */

export interface LoggedRequest {
  readonly seq: number;
  readonly time: string;
  readonly method: string;
  /** The path as sent, without the query string. */
  readonly path: string;
  /** The path with names replaced (`/subscriptions/{subscriptionId}/…/agentPools/{agentPoolName}`), the counters' key. */
  readonly route: string;
  readonly status: number;
  /** ARM or Entra error code of a failed request. */
  readonly code?: string;
  readonly durationMs: number;
}

const NAMED_SEGMENTS: Readonly<Record<string, string>> = {
  subscriptions: '{subscriptionId}',
  resourcegroups: '{resourceGroupName}',
  managedclusters: '{resourceName}',
  agentpools: '{agentPoolName}',
  locations: '{location}',
  operations: '{operationId}',
  operationresults: '{operationId}',
};

/** Replaces the names in an ARM or Entra path so that counters group like requests. */
export function routeOf(path: string): string {
  if (/^\/[^/]+\/oauth2\/v2\.0\/token\/?$/.test(path)) return '/{tenantId}/oauth2/v2.0/token';
  if (/^\/[^/]+\/v2\.0\/\.well-known\/openid-configuration\/?$/.test(path)) return '/{tenantId}/v2.0/.well-known/openid-configuration';
  const parts = path.split('/');
  return parts.map((seg, i) => (i > 0 && NAMED_SEGMENTS[(parts[i - 1] ?? '').toLowerCase()] !== undefined && seg !== '' ? NAMED_SEGMENTS[(parts[i - 1] ?? '').toLowerCase()] : seg)).join('/');
}

export class RequestLog {
  readonly #entries: LoggedRequest[] = [];
  readonly #counters = new Map<string, number>();
  readonly #max: number;
  #seq = 0;

  /** Keeps the last `max` requests; the counters count all of them. */
  constructor(max = 10_000) {
    this.#max = max;
  }

  record(entry: Omit<LoggedRequest, 'seq' | 'route'>): void {
    const route = routeOf(entry.path);
    this.#entries.push({ ...entry, seq: ++this.#seq, route });
    if (this.#entries.length > this.#max) this.#entries.shift();
    const key = `${entry.method} ${route} ${entry.status}`;
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + 1);
  }

  /** Requests after sequence number `since` (0: all kept). */
  requests(since = 0): readonly LoggedRequest[] {
    return this.#entries.filter((e) => e.seq > since);
  }

  /** `"<METHOD> <route> <status>" → count`, e.g. `"PUT /subscriptions/{subscriptionId}/…/agentPools/{agentPoolName} 201": 3`. */
  counters(): Record<string, number> {
    return Object.fromEntries([...this.#counters.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Sum of the counters whose method and route match (status any), e.g. all PUTs of agent pools. */
  count(method: string, routeIncludes = ''): number {
    let n = 0;
    for (const [key, v] of this.#counters) {
      const [m = '', route = ''] = key.split(' ');
      if ((method === '*' || m === method) && route.includes(routeIncludes)) n += v;
    }
    return n;
  }

  reset(): void {
    this.#entries.length = 0;
    this.#counters.clear();
  }
}
