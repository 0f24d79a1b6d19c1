/**
 * The Workspace controller's own metrics, on top of controller-runtime's (which already has the
 * reconcile durations and outcomes: `controller_runtime_reconcile_time_seconds{controller="workspace"}`,
 * `controller_runtime_reconcile_total`, the work queue's; see docs/controller-runtime.md):
 *
 * | metric | type | labels | what |
 * |---|---|---|---|
 * | `kaito_inference_workspaces` | gauge | `state`, `nodes` | inference Workspaces in the cache by `status.state` (`Pending`, `Ready`, `NotReady`, `Unknown` before the first status) and node source (`requests`, `byo`) |
 * | `kaito_inference_workspace_ready_seconds` | histogram | `nodes` | from a Workspace's creation to the first time this process saw it `WorkspaceReady` |
 *
 * The gauge is computed from the cache when scraped, so it costs nothing between scrapes.
 */
import type { Workspace } from '@kaito-ts/api';
import { Gauge, Histogram, type Registry } from 'prom-client';

export type NodeSourceLabel = 'requests' | 'byo';

/** Seconds to Ready: a small model on a warm node is seconds; a large one on a new node is an hour. */
const READY_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

/** Workspaces counted by `state` and node source (a pure function the gauge calls when scraped). */
export function workspacesByState(workspaces: readonly Workspace[], source: (ws: Workspace) => NodeSourceLabel): Map<string, { state: string; nodes: NodeSourceLabel; count: number }> {
  const counts = new Map<string, { state: string; nodes: NodeSourceLabel; count: number }>();
  for (const ws of workspaces) {
    if (ws.inference === undefined) continue;
    const state = ws.status?.state ?? 'Unknown';
    const nodes = source(ws);
    const key = `${state}/${nodes}`;
    const entry = counts.get(key) ?? { state, nodes, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return counts;
}

export interface WorkspaceMetrics {
  /** A Workspace became WorkspaceReady at `now` (call once per transition). */
  becameReady(ws: Workspace, nodes: NodeSourceLabel, now: Date): void;
}

export function registerWorkspaceMetrics(registry: Registry, list: () => readonly Workspace[], source: (ws: Workspace) => NodeSourceLabel): WorkspaceMetrics {
  new Gauge({
    name: 'kaito_inference_workspaces',
    help: 'Inference Workspaces by status.state and node source (requests: node requests; byo: bring-your-own nodes).',
    labelNames: ['state', 'nodes'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { state, nodes, count } of workspacesByState(list(), source).values()) this.set({ state, nodes }, count);
    },
  });
  const ready = new Histogram({
    name: 'kaito_inference_workspace_ready_seconds',
    help: 'Seconds from a Workspace’s creation to the first WorkspaceReady this process saw.',
    labelNames: ['nodes'],
    buckets: READY_BUCKETS,
    registers: [registry],
  });
  return {
    becameReady(ws, nodes, now) {
      const created = ws.metadata.creationTimestamp;
      if (created === undefined) return;
      const seconds = (now.getTime() - new Date(created).getTime()) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) ready.observe({ nodes }, seconds);
    },
  };
}
