/**
 * A complete sample controller, used by this package's tests and shown in the docs: a `Widget`
 * (group `test.kaito.sh`) gets a child ConfigMap carrying its message, a finalizer that deletes the
 * child first, and a `Ready` condition in its status — written only when it changes.
 */
import * as t from 'io-ts';
import { KubeObject } from '../api/object.js';
import { hasFinalizer, isBeingDeleted, isControlledBy, withControllerReference } from '../api/owners.js';
import { defineResource, Resources } from '../api/resource.js';
import { ownerIndex } from '../cache/store.js';
import type { Controller, Result } from '../controller/types.js';
import { toControllerOwner, watch } from '../controller/watches.js';
import { isConflict, TerminalError } from '../errors.js';
import type { EventRecorder } from '../events/recorder.js';
import type { Manager } from '../manager/manager.js';

export const WIDGET_FINALIZER = 'widgets.test.kaito.sh/cleanup';

export const Condition = t.type({
  type: t.string,
  status: t.keyof({ True: null, False: null, Unknown: null }),
  reason: t.string,
  message: t.string,
  lastTransitionTime: t.string,
  observedGeneration: t.number,
});
export type Condition = t.TypeOf<typeof Condition>;

export const Widget = t.intersection([
  KubeObject,
  t.type({ spec: t.partial({ message: t.unknown }) }),
  t.partial({ status: t.partial({ observedGeneration: t.number, childName: t.string, conditions: t.array(Condition) }) }),
]);
export type Widget = t.TypeOf<typeof Widget>;

export const Widgets = defineResource<Widget>({ apiVersion: 'test.kaito.sh/v1', kind: 'Widget', plural: 'widgets', namespaced: true, codec: Widget });

/** The CRD for `Widget`, for integration tests against a real API server. */
export const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.kaito.sh' },
  spec: {
    group: 'test.kaito.sh',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

type ChildConfigMap = KubeObject & { data?: Record<string, string> };

/** `conditions` with `c` set; keeps lastTransitionTime unless the status flips. Pure. */
export function setCondition(conditions: readonly Condition[], c: Omit<Condition, 'lastTransitionTime'>, now: string): Condition[] {
  const old = conditions.find((x) => x.type === c.type);
  const next: Condition = { ...c, lastTransitionTime: old !== undefined && old.status === c.status ? old.lastTransitionTime : now };
  return [...conditions.filter((x) => x.type !== c.type), next];
}

export interface WidgetControllerOptions {
  readonly events?: EventRecorder;
  /** Called at the start of every reconcile (tests count reconciles per process with it). */
  readonly onReconcile?: (key: string) => void;
  readonly now?: () => string;
}

export function widgetController(mgr: Manager, options: WidgetControllerOptions = {}): Controller {
  const widgets = mgr.informer(Widgets);
  const configMaps = mgr.informer(Resources.ConfigMap, { indexers: { widgetOwner: ownerIndex() } });
  const now = options.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, 'Z'));

  const reconcile = async (key: string, log: { info(m: string, f?: Record<string, unknown>): unknown }): Promise<Result> => {
    options.onReconcile?.(key);
    const widget = widgets.getByKey(key);
    if (widget === undefined) return {}; // gone; the child goes with it (ownerReference)
    const ns = widget.metadata.namespace as string;
    const childName = `${widget.metadata.name}-widget`;

    if (isBeingDeleted(widget)) {
      if (!hasFinalizer(widget, WIDGET_FINALIZER)) return {};
      await mgr.client.delete(Resources.ConfigMap, { name: childName, namespace: ns });
      await mgr.client.removeFinalizer(Widgets, widget, WIDGET_FINALIZER);
      log.info('finalized widget');
      return {};
    }

    // Persist the finalizer before creating anything it must clean up.
    const current = await mgr.client.addFinalizer(Widgets, widget, WIDGET_FINALIZER);
    const generation = current.metadata.generation ?? 0;
    const message = current.spec.message;
    const conditions = current.status?.conditions ?? [];
    if (typeof message !== 'string') {
      const status = {
        ...current.status,
        observedGeneration: generation,
        conditions: setCondition(
          conditions,
          { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec.message must be a string; fix the Widget', observedGeneration: generation },
          now(),
        ),
      };
      await mgr.client.patchStatus(Widgets, current, status);
      throw new TerminalError(`widget ${key}: spec.message must be a string`);
    }

    const child = configMaps.get(ns, childName) as ChildConfigMap | undefined;
    if (child === undefined || child.data?.['message'] !== message || !isControlledBy(child, current)) {
      const desired: ChildConfigMap = withControllerReference(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: childName, namespace: ns }, data: { message } },
        current,
      );
      await mgr.client.apply(desired);
      options.events?.publish({ involvedObject: current, type: 'Normal', reason: 'ChildApplied', message: `applied ConfigMap ${childName}` });
      log.info('applied child', { child: childName });
    }

    const status = {
      observedGeneration: generation,
      childName,
      conditions: setCondition(
        conditions,
        { type: 'Ready', status: 'True', reason: 'ChildApplied', message: `ConfigMap ${childName} carries the message`, observedGeneration: generation },
        now(),
      ),
    };
    await mgr.client.patchStatus(Widgets, current, status);
    return {};
  };

  return {
    name: 'widget',
    watches: [watch(Widgets), watch(Resources.ConfigMap, { mapToKeys: toControllerOwner(Widgets) })],
    reconcile: async (key, ctx) => {
      try {
        return await reconcile(key, ctx.log);
      } catch (err) {
        if (isConflict(err)) ctx.log.debug('conflict, will retry with fresh state');
        throw err;
      }
    },
  };
}
