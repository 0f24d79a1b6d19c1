/**
 * Where an informer gets its objects: a list, then a watch from the list's resourceVersion. The
 * Kubernetes implementation is `KubeListWatch` (client/list-watch.ts); tests use `FakeListWatch`
 * (`@kaito-ts/controller-runtime/testing`), which behaves like the API server (resourceVersions,
 * compaction → 410 Gone, dropped streams).
 */
export interface ListPage {
  readonly items: readonly unknown[];
  /** The list's resourceVersion: where a watch picks up. */
  readonly resourceVersion: string;
  /** Set when there are more pages. */
  readonly continue?: string | undefined;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface RawWatchEvent {
  readonly type: WatchEventType | string;
  readonly object: unknown;
}

export interface ListOptions {
  readonly limit?: number;
  readonly continue?: string;
  readonly signal: AbortSignal;
}

export interface WatchOptions {
  readonly resourceVersion: string;
  /** Ask the server to end the watch after this long; the informer then re-watches. */
  readonly timeoutSeconds: number;
  readonly allowWatchBookmarks: boolean;
  readonly signal: AbortSignal;
}

export interface ListWatchSource {
  /** One page of the collection; rejects with an ApiException (410 when `continue` expired). */
  list(options: ListOptions): Promise<ListPage>;
  /**
   * Streams events to `onEvent` until the server ends the watch (resolves) or it fails (rejects:
   * ApiException for a non-200 answer, TransportError for a broken connection). `ERROR` events are
   * passed on as they come; the informer turns them into errors.
   */
  watch(options: WatchOptions, onEvent: (event: RawWatchEvent) => void): Promise<void>;
}
