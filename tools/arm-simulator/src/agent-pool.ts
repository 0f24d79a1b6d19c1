/** The agent pool PUT body as ARM accepts it, and the resource JSON it returns. */
import * as t from 'io-ts';

const nonNegativeInt = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');

/**
 * The fields of `properties` the simulator reads; any other property is kept and echoed back, as
 * ARM does for fields it does not act on here (zones, spot settings, …).
 */
export const AgentPoolProperties = t.partial({
  vmSize: t.string,
  count: nonNegativeInt,
  osType: t.keyof({ Linux: null, Windows: null }, '"Linux" | "Windows"'),
  osSKU: t.string,
  osDiskSizeGB: nonNegativeInt,
  mode: t.string,
  type: t.string,
  orchestratorVersion: t.string,
  nodeLabels: t.record(t.string, t.string),
  nodeTaints: t.array(t.string),
  tags: t.record(t.string, t.string),
});
export type AgentPoolProperties = t.TypeOf<typeof AgentPoolProperties>;

export const AgentPoolBody = t.type({ properties: AgentPoolProperties }, 'AgentPool');

/** AKS's rule for a Linux agent pool name. */
export const POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;

export type PoolState = 'Creating' | 'Succeeded' | 'Failed' | 'Deleting';

/** One agent pool as the simulator keeps it (also its persisted form). */
export interface PoolRecord {
  readonly name: string;
  /** The PUT body's properties, with defaults filled in. */
  properties: Record<string, unknown> & { vmSize: string; count: number };
  state: PoolState;
  /** Epoch ms when a create finishes; undefined once done. */
  readyAt?: number;
  /** Epoch ms when a delete finishes; `null`: never (a stuck delete). */
  goneAt?: number | null;
  /** The async operation in flight or last finished. */
  operationId: string;
  /** Set when the create is to fail in its async operation (AllocationFailed, phase operation). */
  failure?: { code: string; message: string };
  /** Node names made for it. */
  nodes: string[];
}

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed';

export interface OperationRecord {
  readonly id: string;
  readonly pool: string;
  readonly kind: 'create' | 'delete';
  status: OperationStatus;
  readonly startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
}
