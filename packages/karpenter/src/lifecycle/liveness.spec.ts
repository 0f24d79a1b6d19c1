import type { NodeRequestCondition } from '../conditions.js';
import { makeNodeRequest } from '../testing/factories.js';
import { planLiveness } from './liveness.js';

const options = { launchTimeoutMs: 20 * 60_000, registrationTimeoutMs: 30 * 60_000 };
const created = '2025-01-01T00:00:00Z';
const at = (minutes: number) => new Date(Date.parse(created) + minutes * 60_000);
const c = (type: string, status: NodeRequestCondition['status'], reason: string, lastTransitionTime = created): NodeRequestCondition => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime,
});
const req = (conditions: NodeRequestCondition[]) => makeNodeRequest('nodeclaim', { metadata: { creationTimestamp: created }, status: { conditions } });

describe('planLiveness', () => {
  it('keeps a launching request and says when to look again', () => {
    expect(planLiveness(req([c('Launched', 'Unknown', 'Launching')]), at(5), options)).toEqual({ kind: 'alive', checkAgainInMs: 15 * 60_000 });
  });

  it('expires a request not launched within the launch timeout', () => {
    expect(planLiveness(req([c('Launched', 'Unknown', 'LaunchFailed')]), at(20), options)).toMatchObject({ kind: 'expired', reason: 'LaunchTimeout' });
  });

  it('counts the launch timeout from when launching resumed after a capacity failure', () => {
    const r = req([c('Launched', 'Unknown', 'LaunchFailed', at(120).toISOString())]);
    expect(planLiveness(r, at(125), options)).toEqual({ kind: 'alive', checkAgainInMs: 15 * 60_000 });
  });

  it.each(['QuotaExceeded', 'InsufficientCapacity', 'SkuUnavailable'])('keeps a request that failed with %s so its reason stays visible', (reason) => {
    expect(planLiveness(req([c('Launched', 'False', reason)]), at(600), options)).toEqual({ kind: 'alive' });
  });

  it('expires a launched request whose node does not register in time', () => {
    const r = req([c('Launched', 'True', 'Launched', at(1).toISOString()), c('Registered', 'Unknown', 'NodeNotFound')]);
    expect(planLiveness(r, at(31), options)).toMatchObject({ kind: 'expired', reason: 'RegistrationTimeout' });
  });

  it('keeps a registered request forever', () => {
    const r = req([c('Launched', 'True', 'Launched'), c('Registered', 'True', 'Registered')]);
    expect(planLiveness(r, at(10_000), options)).toEqual({ kind: 'alive' });
  });

  it('never expires with the timeouts disabled', () => {
    expect(planLiveness(req([]), at(10_000), { launchTimeoutMs: 0, registrationTimeoutMs: 0 })).toEqual({ kind: 'alive' });
  });
});
