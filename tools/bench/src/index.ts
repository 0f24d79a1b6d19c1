export { runnerThroughput, queueThroughput, type ThroughputResult, type QueueBenchOptions } from './queue-throughput.js';
export { cacheMemory, fullGc, type CacheMemoryResult } from './cache-memory.js';
export { podFixture } from './pod-fixture.js';
export { formatReport, median, QUEUE_TARGET_KEYS_PER_SECOND, CACHE_TARGET_RATIO, type Report } from './report.js';
