// crds/ against the real API server: the CRDs install and serve, every fixture of the Workspace
// corpus gets its expected verdict (schema and CEL rules with their messages), and kubectl
// explain shows our field descriptions.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApisApi, type KubernetesObject, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { loadWorkspaceFixtures, type WorkspaceFixture } from '@kaito-ts/api/testing';
import { manifestFiles, objectPath } from './apply.js';
import { requestJson } from './kube.js';
import { repoRoot } from './paths.js';
import { apiMessage, parseYamlObjects, statusCodeOf, useNamespace } from './testing/index.js';

const ns = useNamespace('crds');
const crdFiles = manifestFiles(join(repoRoot(), 'crds'));
const crds = crdFiles.flatMap((f) => parseYamlObjects(readFileSync(f, 'utf8'))) as V1CustomResourceDefinition[];
const fixtures = loadWorkspaceFixtures();

describe('crds/', () => {
  it('has the Workspace, Machine and NodeClaim CRDs', () => {
    expect(crds.map((c) => c.metadata?.name).sort()).toEqual([
      'machines.karpenter.sh',
      'nodeclaims.karpenter.sh',
      'workspaces.kaito.sh',
    ]);
  });

  it.each(crds.map((c) => [c.metadata?.name ?? '', c] as const))('%s is installed, Established and serves its versions', async (name, file) => {
    const live = await ns.clients.apiext.readCustomResourceDefinition({ name });
    expect(live.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    expect(live.status?.conditions?.find((c) => c.type === 'NamesAccepted')?.status).toBe('True');
    expect(live.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual(
      file.spec.versions.map((v) => [v.name, v.served, v.storage]),
    );
  });
});

/** Creates (or, with `old`, creates old and then updates to the object) in the test namespace. */
async function submit(fixture: WorkspaceFixture): Promise<KubernetesObject> {
  const { kc } = ns.clients;
  const inNamespace = (o: Record<string, unknown>): KubernetesObject => {
    const obj = structuredClone(o) as KubernetesObject;
    obj.metadata = { ...obj.metadata, namespace: ns.name };
    return obj;
  };
  const create = async (obj: KubernetesObject): Promise<KubernetesObject> => {
    const collection = await objectPath(kc, { ...obj, metadata: { namespace: ns.name } });
    return requestJson<KubernetesObject>(kc, 'POST', collection, { body: JSON.stringify(obj) });
  };
  if (fixture.old === undefined) return create(inNamespace(fixture.object));
  const old = await create(inNamespace(fixture.old));
  const next = inNamespace(fixture.object);
  next.metadata = { ...next.metadata, resourceVersion: old.metadata?.resourceVersion ?? '' };
  return requestJson<KubernetesObject>(kc, 'PUT', await objectPath(kc, next), { body: JSON.stringify(next) });
}

async function remove(fixture: WorkspaceFixture): Promise<void> {
  const obj = inNamespaceHeader(fixture.old ?? fixture.object);
  await requestJson(ns.clients.kc, 'DELETE', await objectPath(ns.clients.kc, obj)).catch((err: unknown) => {
    if (statusCodeOf(err) !== 404) throw err;
  });
}

function inNamespaceHeader(o: Record<string, unknown>): KubernetesObject {
  const metadata = o['metadata'] as { name?: string } | undefined;
  return {
    apiVersion: o['apiVersion'] as string,
    kind: o['kind'] as string,
    metadata: { name: metadata?.name ?? '', namespace: ns.name },
  };
}

describe('Workspace fixtures on the API server', () => {
  const valid = fixtures.filter((f) => f.valid);
  const invalid = fixtures.filter((f) => !f.valid);

  it('cover CEL and schema rejections', () => {
    expect(invalid.filter((f) => f.layer === 'cel').length).toBeGreaterThan(0);
    expect(invalid.filter((f) => f.layer === 'schema').length).toBeGreaterThan(0);
    expect(invalid.every((f) => typeof f.serverError === 'string' && f.serverError !== '')).toBe(true);
  });

  it.each(valid.map((f) => [f.file, f] as const))('%s is accepted', async (_file, fixture) => {
    try {
      const stored = await submit(fixture);
      expect(stored.metadata?.uid).toBeTruthy();
    } finally {
      await remove(fixture);
    }
  });

  it.each(invalid.map((f) => [`${f.file} (${f.layer ?? '?'})`, f] as const))(
    '%s is rejected with its message',
    async (_file, fixture) => {
      let error: unknown;
      try {
        await submit(fixture);
      } catch (err) {
        error = err;
      } finally {
        await remove(fixture);
      }
      expect(error).toBeDefined();
      expect(statusCodeOf(error)).toBe(422);
      expect(apiMessage(error)).toContain(fixture.serverError);
    },
  );
});

describe('kubectl explain', () => {
  const run = promisify(execFile);
  const explain = async (field: string): Promise<string> =>
    (await run('kubectl', ['explain', field], { env: { ...process.env }, timeout: 30_000 })).stdout;
  const normalise = (s: string): string => s.replace(/\s+/g, ' ').trim();

  /** The schema kubectl explain shows: the group's preferred version. */
  async function preferredSchema(): Promise<Record<string, { description?: string; properties?: Record<string, { description?: string }> }>> {
    const groups = await ns.clients.kc.makeApiClient(ApisApi).getAPIVersions();
    const group = groups.groups.find((g) => g.name === 'kaito.sh');
    const version = group?.preferredVersion?.version;
    const crd = crds.find((c) => c.metadata?.name === 'workspaces.kaito.sh');
    const schema = crd?.spec.versions.find((v) => v.name === version)?.schema?.openAPIV3Schema?.properties;
    if (schema === undefined) throw new Error(`no schema for kaito.sh/${version ?? '?'} in crds/workspaces.kaito.sh.yaml`);
    return schema as Record<string, { description?: string; properties?: Record<string, { description?: string }> }>;
  }

  it('prints our descriptions for workspace.tuning and its fields', async () => {
    const schema = await preferredSchema();
    const tuning = schema['tuning'];
    expect(tuning?.description).toBeTruthy();
    const out = normalise(await explain('workspace.tuning'));
    expect(out).toContain(normalise(tuning?.description ?? ''));
    for (const [field, prop] of Object.entries(tuning?.properties ?? {})) {
      expect(out).toContain(field);
      if (prop.description !== undefined) {
        // kubectl explain shows the first lines of each field's description.
        expect(out).toContain(normalise(prop.description).slice(0, 40));
      }
    }
  });

  it.each([
    ['nodeclaim.spec', 'nodeclaims.karpenter.sh', 'spec'],
    ['nodeclaim.spec.requirements', 'nodeclaims.karpenter.sh', 'spec.requirements'],
    ['machine.spec', 'machines.karpenter.sh', 'spec'],
  ])('kubectl explain %s prints a description for every field', async (field, crdName, path) => {
    type Props = { description?: string; properties?: Record<string, Props>; items?: Props };
    const crd = crds.find((c) => c.metadata?.name === crdName);
    let schema = crd?.spec.versions.find((v) => v.storage)?.schema?.openAPIV3Schema as Props | undefined;
    for (const key of path.split('.')) schema = schema?.properties?.[key];
    if (schema?.items) schema = schema.items;
    const out = normalise(await explain(field));
    const fields = Object.entries(schema?.properties ?? {});
    expect(fields.length).toBeGreaterThan(0);
    for (const [name, prop] of fields) {
      expect(prop.description).toBeTruthy();
      expect(out).toContain(`${name} <`);
      expect(out).toContain(normalise(prop.description ?? '').slice(0, 40));
    }
  });

  it('a seed-like Workspace with a placeholder output image is refused with the human message, after the field path', async () => {
    const seed = fixtures.find((f) => f.file === 's01-seed-exact-placeholders.yaml');
    if (seed === undefined) throw new Error('fixture s01-seed-exact-placeholders.yaml is missing');
    let error: unknown;
    try {
      await submit(seed);
    } catch (err) {
      error = err;
    } finally {
      await remove(seed);
    }
    expect(apiMessage(error)).toMatch(/tuning\.output\.image: Invalid value: .*: must be a lowercase image reference such as myregistry\.azurecr\.io\/adapters\/phi-3:0\.0\.1/);
    expect(apiMessage(error)).not.toMatch(/should match/);
  });
});
