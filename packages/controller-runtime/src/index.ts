/**
 * @kaito-ts/controller-runtime: controller-runtime's guarantees for TypeScript controllers.
 * See docs/controller-runtime.md for the concepts and an example.
 */
export { type Clock, type TimerHandle, realClock, sleep, jittered } from './clock.js';
export {
  TerminalError,
  LeaderElectionLostError,
  AlreadyOwnedError,
  TransportError,
  WatchError,
  StatusReason,
  apiFailureOf,
  isNotFound,
  isConflict,
  isAlreadyExists,
  isForbidden,
  isUnauthorized,
  isInvalid,
  isGone,
  isTooManyRequests,
  isTransient,
  isTerminal,
  ignoreNotFound,
  ignoreAlreadyExists,
  describeError,
} from './errors.js';

export {
  KubeObject,
  keyOf,
  objectKey,
  parseKey,
  groupVersion,
  type NamespacedName,
} from './api/object.js';
export { defineResource, resourceId, collectionPath, objectPath, Resources, type ResourceType } from './api/resource.js';
export {
  controllerReference,
  controllerOf,
  isControlledBy,
  withControllerReference,
  hasFinalizer,
  isBeingDeleted,
} from './api/owners.js';
export { mergePatchFor, jsonEqual } from './api/merge-patch.js';
export { parseQuantity, quantityOf, InvalidQuantityError, type QuantityValue, type ResourceList } from './api/quantity.js';

export { WorkQueue, type WorkQueueOptions, type QueueMetrics, noopQueueMetrics } from './queue/workqueue.js';
export { ExponentialBackoff, type RateLimiter, type ExponentialBackoffOptions } from './queue/backoff.js';

export { Informer, stripManagedFields, type EventHandler, type InformerOptions } from './cache/informer.js';
export { Store, labelIndex, ownerIndex, controllerIndex, NAMESPACE_INDEX, type IndexFunc } from './cache/store.js';
export type { ListWatchSource, ListPage, RawWatchEvent, WatchEventType, ListOptions, WatchOptions } from './cache/list-watch.js';

export { loadKubeConfig, KubeConfigError, type KubeConfigLike } from './client/kubeconfig.js';
export { RestClient, ContentType, type Transport, type RestRequest, type RestClientOptions, type HttpMethod } from './client/rest-client.js';
export { TokenBucket } from './client/rate-limiter.js';
export { KubeClient, type KubeClientOptions, type ListSelector, type StatusPatchResult } from './client/kube-client.js';
export { KubeListWatch, type KubeListWatchOptions } from './client/list-watch.js';
export { ResourceMapper, UnknownKindError } from './client/mapper.js';

export type { Controller, Result, ReconcileContext, Watch, WatchOptions as ControllerWatchOptions, Change, ChangeType } from './controller/types.js';
export { watch, toControllerOwner, toLabelledKey, generationChanged } from './controller/watches.js';
export { ControllerRunner } from './controller/runner.js';

export { LeaderElector, type LeaderElectorOptions, type LeaderElectionTimings, type ElectionOutcome } from './leader/leader-elector.js';
export { KubeLeaseLock, Lease, microTime, type LeaseLock, type LeaderElectionRecord, type ObservedRecord } from './leader/lease-lock.js';

export { Manager, type ManagerOptions, type LeaderElectionOptions, type InformerOptions as ManagerInformerOptions } from './manager/manager.js';
export type { Periodic, Runnable, RunnableContext, ShutdownReport } from './manager/runnable.js';
export { PeriodicRunner, type PeriodicRunnerOptions } from './manager/periodic.js';
export { Metrics, type MetricsOptions } from './metrics/metrics.js';
export { listen, runChecks, type Check, type RunningServer } from './http/server.js';
export { KubeEventRecorder, type Event, type EventRecorder, type EventType, type KubeEventRecorderOptions } from './events/recorder.js';
export { createLogger, redact, REDACTED, type Logger, type LoggerOptions } from './log/logger.js';
