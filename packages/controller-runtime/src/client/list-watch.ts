/** The Kubernetes `ListWatchSource`: one resource, optionally one namespace and a label selector. */
import type { ListOptions, ListPage, ListWatchSource, RawWatchEvent, WatchOptions } from '../cache/list-watch.js';
import { collectionPath, type ResourceType } from '../api/resource.js';
import type { Transport } from './rest-client.js';

export interface KubeListWatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export class KubeListWatch implements ListWatchSource {
  readonly #transport: Transport;
  readonly #path: string;
  readonly #selectors: Record<string, string | undefined>;

  constructor(transport: Transport, resource: ResourceType, options: KubeListWatchOptions = {}) {
    this.#transport = transport;
    this.#path = collectionPath(resource, options.namespace);
    this.#selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
  }

  async list(options: ListOptions): Promise<ListPage> {
    // No resourceVersion: a consistent read from etcd, never a stale cache.
    const page = (await this.#transport.request({
      method: 'GET',
      path: this.#path,
      query: { ...this.#selectors, limit: options.limit, continue: options.continue },
      signal: options.signal,
    })) as { items?: unknown[]; metadata?: { resourceVersion?: string; continue?: string } };
    return {
      items: page.items ?? [],
      resourceVersion: page.metadata?.resourceVersion ?? '',
      continue: page.metadata?.continue || undefined,
    };
  }

  watch(options: WatchOptions, onEvent: (event: RawWatchEvent) => void): Promise<void> {
    return this.#transport.watch(
      {
        method: 'GET',
        path: this.#path,
        query: {
          ...this.#selectors,
          resourceVersion: options.resourceVersion,
          allowWatchBookmarks: options.allowWatchBookmarks,
          timeoutSeconds: options.timeoutSeconds,
        },
        signal: options.signal,
        // Bookmarks arrive about once a minute; a minute past the server timeout means a dead link.
        idleTimeoutMs: (options.timeoutSeconds + 60) * 1000,
      },
      (event) => onEvent(event as RawWatchEvent),
    );
  }
}
