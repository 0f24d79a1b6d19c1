import { containerCommand, findImage, imageName, ImageMapError, loadImageMap, parseImageMap, UnmappedImageError } from './image-map.js';

const map = parseImageMap(
  `images:
  - image: "*tuning-runner"
    command: [node, tools/cluster/kubelet-images.yaml]
    args: [--default]
    env: { PYTHONUNBUFFERED: "1" }
  - image: busybox
`,
  'images.yaml',
  `${__dirname}/../../../..`,
);

describe('image mapping', () => {
  it('strips tags and digests from image names', () => {
    expect(imageName('ghcr.io/kaito/tuning-runner:0.1@sha256:abc')).toBe('ghcr.io/kaito/tuning-runner');
    expect(imageName('localhost:5000/busybox')).toBe('localhost:5000/busybox');
  });

  it('matches globs with or without docker.io/library', () => {
    expect(findImage(map, 'ghcr.io/kaito-ts/tuning-runner:0.1.0')?.image).toBe('*tuning-runner');
    expect(findImage(map, 'docker.io/library/busybox:1.36')?.image).toBe('busybox');
    expect(findImage(map, 'busybox-extra')).toBeUndefined();
  });

  it('combines the entrypoint with the container args as Docker does; command replaces both', () => {
    const entry = containerCommand(map, { image: 'x/tuning-runner' });
    expect(entry.argv[0]).toBe('node');
    expect(entry.argv[1]).toMatch(/^\/.*tools\/cluster\/kubelet-images\.yaml$/);
    expect(entry.argv.slice(2)).toEqual(['--default']);
    expect(entry.env).toEqual({ PYTHONUNBUFFERED: '1' });
    expect(containerCommand(map, { image: 'x/tuning-runner', args: ['--a'] }).argv.slice(2)).toEqual(['--a']);
    expect(containerCommand(map, { image: 'x/tuning-runner', command: ['sh'], args: ['-c', 'true'] }).argv).toEqual(['sh', '-c', 'true']);
    expect(containerCommand(map, { image: 'busybox', command: ['echo', 'hi'], workingDir: '/w' })).toMatchObject({ argv: ['echo', 'hi'], workingDir: '/w' });
  });

  it('gives an unmapped image, or a host image without a command, a clear error', () => {
    expect(() => containerCommand(map, { image: 'example.com/nope:1' })).toThrow(
      new UnmappedImageError('image "example.com/nope:1" has no local command in images.yaml; add an entry such as { image: "example.com/nope", command: [node, path/to/main.js] }'),
    );
    expect(() => containerCommand(map, { image: 'busybox' })).toThrow('maps to a host image in images.yaml, and the container sets no command');
  });

  it('rejects a malformed file with the entry and field', () => {
    expect(() => parseImageMap('images: [{ image: "" }]', 'f.yaml')).toThrow(new ImageMapError('f.yaml: images[0].image: expected a non-empty glob, e.g. "*tuning-runner"'));
    expect(() => parseImageMap('images: [{ image: a, command: node }]', 'f.yaml')).toThrow('f.yaml: images[0].command: expected a list of strings');
    expect(() => parseImageMap('imgs: []', 'f.yaml')).toThrow('f.yaml: expected a top-level "images" list');
  });

  it("gives a container the image's files at their container paths, read-only, and makes the image's PATH absolute", () => {
    const root = `${__dirname}/../../../..`;
    const withFiles = parseImageMap(
      `images:
  - image: "*/kaito-base"
    files: { /workspace/vllm/: tools/cluster/images/kaito-base/vllm, /etc/standin.yaml: /dev/null }
    env: { PATH: "tools/cluster/images/kaito-base/bin:/usr/bin:no/such/dir", PYTHONUNBUFFERED: "1" }
`,
      'images.yaml',
      root,
    );
    const cmd = containerCommand(withFiles, { image: 'mcr.microsoft.com/aks/kaito/kaito-base:0.5.0', command: ['python3', '/workspace/vllm/inference_api.py'] });
    expect(cmd.argv).toEqual(['python3', '/workspace/vllm/inference_api.py']);
    expect(cmd.files).toEqual([
      { source: expect.stringMatching(/^\/.*\/tools\/cluster\/images\/kaito-base\/vllm$/), target: '/workspace/vllm', readOnly: true },
      { source: '/dev/null', target: '/etc/standin.yaml', readOnly: true },
    ]);
    expect(cmd.env['PATH']).toMatch(/^\/.*\/tools\/cluster\/images\/kaito-base\/bin:\/usr\/bin:no\/such\/dir$/);
    expect(cmd.env['PYTHONUNBUFFERED']).toBe('1');
    expect(containerCommand(map, { image: 'busybox', command: ['true'] }).files).toEqual([]);
  });

  it.each([
    ['files: [a]', 'f.yaml: images[0].files: expected a map of container path to local path'],
    ['files: { relative/path: /dev/null }', 'f.yaml: images[0].files["relative/path"]: expected an absolute container path below /'],
    ['files: { /: /dev/null }', 'f.yaml: images[0].files["/"]: expected an absolute container path below /'],
    ['files: { /x: 3 }', 'f.yaml: images[0].files["/x"]: expected a local path'],
    ['files: { /x: /no/such/file }', 'f.yaml: images[0].files["/x"]: /no/such/file does not exist'],
  ])('rejects a bad files entry (%s) naming it', (files, message) => {
    expect(() => parseImageMap(`images: [{ image: a, ${files} }]`, 'f.yaml')).toThrow(message);
  });

  it('loads the default mapping, which maps the tuning-runner image', () => {
    const def = loadImageMap();
    expect(containerCommand(def, { image: 'ghcr.io/kaito-project/kaito-ts/tuning-runner:0.1.0' }).argv.join(' ')).toMatch(/^node .*apps\/tuning-runner\/dist\/main\.js$/);
  });

  it("maps Kaito's inference image to the CPU stand-in's files and PATH, and the skopeo image to a host image with skopeo first on its PATH", () => {
    const def = loadImageMap();
    const inference = containerCommand(def, { image: 'mcr.microsoft.com/aks/kaito/kaito-base:0.5.0', command: ['python3', '/workspace/vllm/inference_api.py'], args: ['--model=m'] });
    expect(inference.argv).toEqual(['python3', '/workspace/vllm/inference_api.py', '--model=m']);
    expect(inference.files.map((f) => [f.target, f.source.replace(/^.*\/tools\//, 'tools/')])).toEqual([
      ['/workspace/vllm', 'tools/cluster/images/kaito-base/vllm'],
      ['/workspace/tfs', 'tools/cluster/images/kaito-base/tfs'],
    ]);
    expect(inference.env['PATH']).toMatch(/^\/.*\/tools\/cluster\/images\/kaito-base\/bin:\$\(PATH\)$/);
    const puller = containerCommand(def, { image: 'mcr.microsoft.com/aks/skopeo:1.14.4-6', command: ['/bin/sh', '-c', 'skopeo copy …'] });
    expect(puller.argv).toEqual(['/bin/sh', '-c', 'skopeo copy …']);
    expect(puller.env['PATH']).toMatch(/^\/.*\/tools\/cluster\/images\/skopeo\/bin:\$\(PATH\)$/);
  });
});
