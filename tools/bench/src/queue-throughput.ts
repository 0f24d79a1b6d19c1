/**
 * Work-queue throughput: distinct keys pushed through the real `ControllerRunner` (queue, workers,
 * per-reconcile child logger and reconcileID, prom-client metrics) with a reconcile that does
 * nothing, and through the bare `WorkQueue` (add → get → done).
 */
import { Writable } from 'node:stream';
import { type Controller, ControllerRunner, createLogger, Metrics, WorkQueue } from '@kaito-ts/controller-runtime';

export interface ThroughputResult {
  readonly keys: number;
  readonly seconds: number;
  readonly keysPerSecond: number;
  /** Reconciles (or get/done cycles) counted once everything stopped: equals `keys` when no key was lost or repeated. */
  readonly processed: number;
}

export interface QueueBenchOptions {
  readonly keys: number;
  readonly concurrency: number;
}

const nullStream = () => new Writable({ write: (_c, _e, done) => done() });

/** Keys/s through `ControllerRunner` with a no-op reconcile. */
export async function runnerThroughput(options: QueueBenchOptions): Promise<ThroughputResult> {
  let remaining = options.keys;
  let processed = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const controller: Controller = {
    name: 'bench',
    watches: [],
    concurrency: options.concurrency,
    reconcile: async () => {
      processed++;
      if (--remaining === 0) finished();
      return {};
    },
  };
  const runner = new ControllerRunner(controller, {
    logger: createLogger({ level: 'info', format: 'json', stream: nullStream() }),
    metrics: new Metrics({ processMetrics: false }),
  });
  const keys = Array.from({ length: options.keys }, (_, i) => `ns-${i % 100}/object-${i}`);
  runner.start();
  const started = performance.now();
  for (const key of keys) runner.enqueue(key);
  await allDone;
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  return { keys: options.keys, seconds, keysPerSecond: options.keys / seconds, processed };
}

/** Keys/s through the bare queue: add every key, then get/done them with `concurrency` consumers. */
export async function queueThroughput(options: QueueBenchOptions): Promise<ThroughputResult> {
  const queue = new WorkQueue();
  const keys = Array.from({ length: options.keys }, (_, i) => `ns-${i % 100}/object-${i}`);
  let remaining = options.keys;
  let processed = 0;
  const started = performance.now();
  for (const key of keys) queue.add(key);
  const consumer = async (): Promise<void> => {
    while (remaining > 0) {
      const key = await queue.get();
      if (key === undefined) return;
      remaining--;
      processed++;
      queue.done(key);
      if (remaining === 0) queue.shutDown();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, consumer));
  const seconds = (performance.now() - started) / 1000;
  return { keys: options.keys, seconds, keysPerSecond: options.keys / seconds, processed };
}
