/**
 * Finds where a kind lives in the API (`plural`, `namespaced`) from `apiVersion` + `kind`: first in
 * the resources registered (every cache registers its own), then by asking the API server's
 * discovery endpoint once per group/version.
 */
import * as t from 'io-ts';
import { codedError, decodeOrThrow } from '@kaito-ts/core';
import { groupVersion } from '../api/object.js';
import { defineResource, type ResourceType, Resources } from '../api/resource.js';
import type { Transport } from './rest-client.js';

const APIResourceList = t.type({
  resources: t.array(t.type({ name: t.string, kind: t.string, namespaced: t.boolean })),
});
const decodeResourceList = (body: unknown) => decodeOrThrow(APIResourceList, body, 'APIResourceList');

export class UnknownKindError extends codedError('UnknownKind') {}

export class ResourceMapper {
  readonly #known = new Map<string, ResourceType>();
  readonly #discovered = new Map<string, Promise<void>>();
  readonly #transport: Transport | undefined;

  /** Without a transport the mapper knows only registered kinds (and the built-in table). */
  constructor(transport?: Transport) {
    this.#transport = transport;
    for (const r of Object.values(Resources)) this.register(r);
  }

  register(resource: ResourceType): void {
    this.#known.set(`${resource.apiVersion}/${resource.kind}`, resource);
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceType> {
    const key = `${apiVersion}/${kind}`;
    const known = this.#known.get(key);
    if (known !== undefined) return known;
    if (this.#transport !== undefined) {
      let discovery = this.#discovered.get(apiVersion);
      if (discovery === undefined) {
        discovery = this.#discover(apiVersion);
        this.#discovered.set(apiVersion, discovery);
        // A failed discovery (API server down, CRD not yet installed) is retried next time.
        discovery.catch(() => this.#discovered.delete(apiVersion));
      }
      await discovery;
      const found = this.#known.get(key);
      if (found !== undefined) return found;
      this.#discovered.delete(apiVersion); // the CRD may appear later
    }
    throw new UnknownKindError(`no resource for kind ${kind} in ${apiVersion}`);
  }

  async #discover(apiVersion: string): Promise<void> {
    const transport = this.#transport as Transport;
    const { group } = groupVersion(apiVersion);
    const list = decodeResourceList(await transport.request({ method: 'GET', path: group ? `/apis/${apiVersion}` : `/api/${apiVersion}` }));
    for (const r of list.resources) {
      if (r.name.includes('/')) continue; // subresources such as pods/status
      const k = `${apiVersion}/${r.kind}`;
      if (!this.#known.has(k)) this.#known.set(k, defineResource({ apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced }));
    }
  }
}
