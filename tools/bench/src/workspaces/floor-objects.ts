/** The pure part of the floor run (floor.ts): the copies of the template Workspace's objects. */
import type { KubeObject } from '@kaito-ts/controller-runtime';

/** The template Workspace's name: distinctive, so replacing it in the copied objects touches nothing else. */
export const TEMPLATE = 'ws-tpl';

/**
 * An object the controller made for the template Workspace, as an admin would create it for
 * Workspace `name`: the template's name replaced everywhere, server-set metadata, the owner and
 * the status dropped, and a Service's allocated cluster IPs released (a headless one keeps `None`).
 */
export function copyFor(obj: KubeObject, name: string): KubeObject {
  const copy = JSON.parse(JSON.stringify(obj).replaceAll(TEMPLATE, name)) as KubeObject & { status?: unknown; spec?: Record<string, unknown> };
  const { name: n, namespace, labels, annotations } = copy.metadata;
  delete copy.status;
  copy.metadata = { name: n, ...(namespace !== undefined ? { namespace } : {}), ...(labels !== undefined ? { labels } : {}), ...(annotations !== undefined ? { annotations } : {}) };
  if (copy.kind === 'Service' && copy.spec !== undefined && copy.spec['clusterIP'] !== 'None') {
    delete copy.spec['clusterIP'];
    delete copy.spec['clusterIPs'];
  }
  return copy;
}
