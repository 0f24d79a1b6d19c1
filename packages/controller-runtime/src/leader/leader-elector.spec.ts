import type { RestRequest, Transport } from '../client/rest-client.js';
import { sleep } from '../clock.js';
import { TransportError } from '../errors.js';
import { Metrics } from '../metrics/metrics.js';
import { FakeApiServer } from '../testing/fake-api-server.js';
import { FakeClock, flushPromises } from '../testing/fake-clock.js';
import { silentLogger } from '../testing/logger.js';
import { Resources } from '../api/resource.js';
import { LeaderElector, type LeaderElectorOptions } from './leader-elector.js';
import { KubeLeaseLock } from './lease-lock.js';

/** A link to the fake API server that the test can cut, as a network partition would. */
class Link implements Transport {
  cut = false;
  /** Hold the answer to the next write this long (on `clock`) after the server has applied it. */
  slowNextWrite = 0;
  constructor(
    private readonly server: FakeApiServer,
    private readonly clock: FakeClock,
  ) {}
  async request<T>(req: RestRequest): Promise<T> {
    if (this.cut) throw new TransportError('connect ETIMEDOUT');
    const delay = req.method === 'GET' ? 0 : this.slowNextWrite;
    if (delay > 0) this.slowNextWrite = 0;
    const answer = await this.server.request<T>(req);
    if (delay > 0) await sleep(this.clock, delay);
    return answer;
  }
  watch(req: RestRequest & { idleTimeoutMs: number }, onEvent: (e: unknown) => void): Promise<void> {
    return this.cut ? Promise.reject(new TransportError('connect ETIMEDOUT')) : this.server.watch(req, onEvent);
  }
}

interface Candidate {
  readonly elector: LeaderElector;
  readonly link: Link;
  readonly abort: AbortController;
  readonly events: string[];
  readonly done: Promise<string>;
}

function setup() {
  const clock = new FakeClock();
  const server = new FakeApiServer({ clock });
  const timeline: string[] = [];
  const candidate = (identity: string, extra: Partial<LeaderElectorOptions> = {}): Candidate => {
    const link = new Link(server, clock);
    const events: string[] = [];
    const abort = new AbortController();
    const elector = new LeaderElector({
      lock: new KubeLeaseLock(link, 'kaito-system', 'workspace-controller'),
      identity,
      logger: silentLogger(),
      clock,
      random: () => 0,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      onStartedLeading: () => {
        events.push('started');
        timeline.push(`${identity} started at ${clock.now() - start}`);
      },
      onStoppedLeading: () => {
        events.push('stopped');
        timeline.push(`${identity} stopped at ${clock.now() - start}`);
      },
      ...extra,
    });
    return { elector, link, abort, events, done: elector.run(abort.signal) };
  };
  const start = clock.now();
  const lease = () => server.get<{ metadata: { name: string }; spec: Record<string, unknown> }>(Resources.Lease, 'workspace-controller', 'kaito-system');
  return { clock, server, candidate, timeline, lease, elapsed: () => clock.now() - start };
}

describe('LeaderElector', () => {
  it('creates the lease and leads when there is none', async () => {
    const { candidate, lease } = setup();
    const a = candidate('a');
    await flushPromises();
    expect([a.elector.isLeader, lease()?.spec['holderIdentity'], lease()?.spec['leaseDurationSeconds']]).toEqual([true, 'a', 15]);
    a.abort.abort();
    await a.done;
  });

  it('keeps a second candidate waiting while the leader renews', async () => {
    const { candidate, clock } = setup();
    const a = candidate('a');
    await flushPromises();
    const b = candidate('b');
    await clock.advanceAsync(60_000);
    expect([a.elector.isLeader, b.elector.isLeader, b.elector.observedLeader]).toEqual([true, false, 'a']);
    a.abort.abort();
    b.abort.abort();
    await Promise.all([a.done, b.done]);
  });

  it('renews the lease every retry period', async () => {
    const { candidate, clock, lease } = setup();
    const a = candidate('a');
    await flushPromises();
    const first = lease()?.spec['renewTime'];
    await clock.advanceAsync(2_000);
    expect(lease()?.spec['renewTime']).not.toBe(first);
    a.abort.abort();
    await a.done;
  });

  it('writes renew times as MicroTime with six fractional digits', async () => {
    const { candidate, lease } = setup();
    const a = candidate('a');
    await flushPromises();
    expect(lease()?.spec['renewTime']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    a.abort.abort();
    await a.done;
  });

  it('lets a standby take over within the lease duration after the leader stops renewing', async () => {
    const { candidate, clock, lease, elapsed } = setup();
    const a = candidate('a');
    await flushPromises();
    const b = candidate('b');
    await clock.advanceAsync(10_000);
    a.link.cut = true; // the leader is gone: no renewals, no release
    const cutAt = elapsed();
    await clock.advanceAsync(20_000);
    const takenAt = Date.parse(String(lease()?.spec['acquireTime'])) - Date.UTC(2025, 0, 1);
    expect(b.elector.isLeader).toBe(true);
    expect(takenAt - cutAt).toBeLessThanOrEqual(15_000 + 2_000);
    expect(lease()?.spec['leaseTransitions']).toBe(1);
    a.abort.abort();
    b.abort.abort();
    await Promise.all([a.done, b.done]);
  });

  it('stops leading after the renew deadline, before a standby can take over', async () => {
    const { candidate, clock, timeline } = setup();
    const a = candidate('a');
    await flushPromises();
    const b = candidate('b');
    await clock.advanceAsync(4_000);
    a.link.cut = true;
    await clock.advanceAsync(30_000);
    expect(await a.done).toBe('lost');
    expect(timeline.map((l) => l.split(' at ')[0])).toEqual(['a started', 'a stopped', 'b started']);
    b.abort.abort();
    await b.done;
  });

  it('counts a renewal from when it was sent, so a slow answer does not stretch the lease past a standby taking over', async () => {
    const { candidate, clock } = setup();
    const a = candidate('a');
    await flushPromises();
    let aVouchedWhenBStarted: boolean | undefined;
    const b = candidate('b', {
      onStartedLeading: () => {
        aVouchedWhenBStarted = a.elector.holdsValidLease;
      },
    });
    // The renewal at 2 s lands at once (the standby sees it then) but its answer takes 7.9 s.
    a.link.slowNextWrite = 7_900;
    await clock.advanceAsync(9_950);
    expect(a.elector.isLeader).toBe(true);
    a.link.cut = true;
    await clock.advanceAsync(20_000);
    expect(b.elector.isLeader).toBe(true);
    expect(aVouchedWhenBStarted).toBe(false);
    expect(await a.done).toBe('lost');
    b.abort.abort();
    await b.done;
  });

  it('stops leading at the next renewal when another process holds the lease', async () => {
    const { candidate, clock, server } = setup();
    const a = candidate('a');
    await flushPromises();
    const stored = server.get<{ metadata: { name: string; namespace: string }; spec: Record<string, unknown> }>(Resources.Lease, 'workspace-controller', 'kaito-system');
    await server.request({
      method: 'PUT',
      path: '/apis/coordination.k8s.io/v1/namespaces/kaito-system/leases/workspace-controller',
      body: { ...stored, spec: { ...stored?.spec, holderIdentity: 'intruder' } },
    });
    await clock.advanceAsync(2_000);
    expect([await a.done, a.events]).toEqual(['lost', ['started', 'stopped']]);
  });

  it('releases the lease on cancel so a standby takes over at its next retry', async () => {
    const { candidate, clock, lease } = setup();
    const a = candidate('a');
    await flushPromises();
    const b = candidate('b');
    await clock.advanceAsync(1_000);
    a.abort.abort();
    expect(await a.done).toBe('released');
    expect(lease()?.spec['holderIdentity']).toBe('');
    await clock.advanceAsync(2_400);
    expect(b.elector.isLeader).toBe(true);
    b.abort.abort();
    await b.done;
  });

  it('stops vouching for the lease when the process pauses past the renew deadline', async () => {
    const { candidate, clock } = setup();
    const a = candidate('a');
    await flushPromises();
    expect(a.elector.holdsValidLease).toBe(true);
    clock.advance(10_000); // a pause: time passes, no promise callback runs
    expect([a.elector.isLeader, a.elector.holdsValidLease]).toEqual([true, false]);
    await flushPromises();
    expect(a.elector.holdsValidLease).toBe(true); // the renewal went through after all
    a.abort.abort();
    await a.done;
  });

  it('releases the lease even when a renewal landed after it was last read', async () => {
    const { candidate, server, lease } = setup();
    const a = candidate('a');
    await flushPromises();
    const stored = lease();
    await server.request({
      method: 'PUT',
      path: '/apis/coordination.k8s.io/v1/namespaces/kaito-system/leases/workspace-controller',
      body: { ...stored, spec: { ...stored?.spec, renewTime: '2025-01-01T00:00:01.000000Z' } },
    });
    a.abort.abort();
    await a.done;
    expect(lease()?.spec['holderIdentity']).toBe('');
  });

  it('resolves cancelled when cancelled before ever leading', async () => {
    const { candidate, clock } = setup();
    const a = candidate('a');
    await flushPromises();
    const b = candidate('b');
    await clock.advanceAsync(1_000);
    b.abort.abort();
    expect([await b.done, b.events]).toEqual(['cancelled', []]);
    a.abort.abort();
    await a.done;
  });

  it('reports leadership in leader_election_master_status', async () => {
    const { candidate } = setup();
    const metrics = new Metrics({ processMetrics: false });
    const a = candidate('a', { metrics });
    await flushPromises();
    const value = async () => (await metrics.leaderStatus.get()).values[0]?.value;
    expect(await value()).toBe(1);
    a.abort.abort();
    await a.done;
    expect(await value()).toBe(0);
  });

  it('rejects timings where the renew deadline is not shorter than the lease', () => {
    const { server } = setup();
    expect(
      () =>
        new LeaderElector({
          lock: new KubeLeaseLock(server, 'ns', 'l'),
          identity: 'a',
          logger: silentLogger(),
          leaseDurationMs: 10_000,
          renewDeadlineMs: 10_000,
          retryPeriodMs: 2_000,
          onStartedLeading: () => undefined,
          onStoppedLeading: () => undefined,
        }),
    ).toThrow(RangeError);
  });
});
