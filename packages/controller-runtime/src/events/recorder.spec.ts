import { Metrics } from '../metrics/metrics.js';
import { FakeApiServer } from '../testing/fake-api-server.js';
import { FakeClock } from '../testing/fake-clock.js';
import { recordingLogger, silentLogger } from '../testing/logger.js';
import { KubeEventRecorder, type Event } from './recorder.js';
import { Resources } from '../api/resource.js';

const workspace = { apiVersion: 'kaito.sh/v1beta1', kind: 'Workspace', metadata: { name: 'ws', namespace: 'ns', uid: 'ws-uid' } };
const quota = (message = 'quota exceeded for Standard_NC24ads_A100_v4; request more quota'): Event => ({
  involvedObject: workspace,
  type: 'Warning',
  reason: 'QuotaExceeded',
  message,
});

function setup() {
  const clock = new FakeClock();
  const server = new FakeApiServer({ clock });
  const metrics = new Metrics({ processMetrics: false });
  const recorder = new KubeEventRecorder(server, { component: 'workspace-controller', instance: 'pod-1', logger: silentLogger(), clock, metrics });
  return { clock, server, recorder, metrics };
}

describe('KubeEventRecorder', () => {
  it('creates a core/v1 Event about the object in its namespace', async () => {
    const { server, recorder } = setup();
    recorder.publish(quota());
    await recorder.flush();
    expect(server.list(Resources.Event)).toEqual([
      expect.objectContaining({
        involvedObject: { apiVersion: 'kaito.sh/v1beta1', kind: 'Workspace', name: 'ws', namespace: 'ns', uid: 'ws-uid' },
        type: 'Warning',
        reason: 'QuotaExceeded',
        source: { component: 'workspace-controller' },
        reportingInstance: 'pod-1',
        count: 1,
      }),
    ]);
  });

  it('sends the same event once within the dedupe window', async () => {
    const { server, recorder, metrics } = setup();
    recorder.publish(quota(), quota());
    recorder.publish(quota());
    await recorder.flush();
    expect(server.list(Resources.Event)).toHaveLength(1);
    expect((await metrics.eventsDeduplicated.get()).values[0]?.value).toBe(2);
  });

  it('sends it again once the window has passed', async () => {
    const { server, recorder, clock } = setup();
    recorder.publish(quota());
    clock.advance(120_001);
    recorder.publish(quota());
    await recorder.flush();
    expect(server.list(Resources.Event)).toHaveLength(2);
  });

  it('sends events with different messages separately', async () => {
    const { server, recorder } = setup();
    recorder.publish(quota('a'), quota('b'));
    await recorder.flush();
    expect(server.list(Resources.Event)).toHaveLength(2);
  });

  it('dedupes on dedupeValues instead of the message when given', async () => {
    const { server, recorder } = setup();
    recorder.publish({ ...quota('retry 1'), dedupeValues: ['ws-uid'] }, { ...quota('retry 2'), dedupeValues: ['ws-uid'] });
    await recorder.flush();
    expect(server.list(Resources.Event)).toHaveLength(1);
  });

  it('logs and carries on when the API server refuses the event', async () => {
    const { logger, lines } = recordingLogger();
    const server = new FakeApiServer();
    server.down = true;
    const recorder = new KubeEventRecorder(server, { component: 'c', logger });
    recorder.publish(quota());
    await recorder.flush();
    expect(lines.map((l) => l.message)).toContain('could not publish event');
  });
});
