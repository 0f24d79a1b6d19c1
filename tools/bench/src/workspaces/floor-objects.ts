/** The pure parts of the floor run (floor.ts): the copies of the template Workspace's objects, and the API server's requests by verb and resource. */
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

/**
 * `apiserver_request_total` summed by `VERB resource[/subresource]` (over codes, scopes and
 * versions). The control plane's components all use the admin's credentials here (APF files them
 * all under `exempt`), but the resources say who acted: only kube-controller-manager's StatefulSet
 * controller creates pods and ControllerRevisions and updates `statefulsets/status`, only the
 * scheduler creates `pods/binding`, only kwok patches `pods/status`.
 */
export function requestsByResource(metricsText: string): Map<string, number> {
  const metric = 'apiserver_request_total{';
  const out = new Map<string, number>();
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const close = line.lastIndexOf('}');
    const labels = line.slice(metric.length, close);
    const label = (name: string): string => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1] ?? '';
    const sub = label('subresource');
    const key = `${label('verb')} ${label('resource')}${sub !== '' ? `/${sub}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(close + 1).trim()));
  }
  return out;
}
