/** Image references, normalised the way Docker and `reference.ParseDockerRef` do. */

export interface ImageRef {
  /** Registry host[:port] as the user wrote it (`docker.io` for Docker Hub). */
  readonly registry: string;
  /** Host the API is served from (`registry-1.docker.io` for Docker Hub). */
  readonly apiHost: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DOCKER_HUB = 'docker.io';

export function parseImageRef(ref: string): ImageRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`invalid image reference ${JSON.stringify(ref)}: bad digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) throw new Error(`invalid image reference ${JSON.stringify(ref)}: bad tag`);
  }
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  let registry: string;
  let repository: string;
  if (slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(slash + 1);
  } else {
    registry = DOCKER_HUB;
    repository = slash === -1 ? `library/${rest}` : rest;
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) {
    throw new Error(`invalid image reference ${JSON.stringify(ref)}: bad repository name ${JSON.stringify(repository)}`);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  const apiHost = registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
  const effectiveTag = tag ?? (digest === undefined ? 'latest' : undefined);
  return { registry, apiHost, repository, ...(effectiveTag !== undefined ? { tag: effectiveTag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

export function formatImageRef(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
