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

  it('loads the default mapping, which maps the tuning-runner image', () => {
    const def = loadImageMap();
    expect(containerCommand(def, { image: 'ghcr.io/kaito-project/kaito-ts/tuning-runner:0.1.0' }).argv.join(' ')).toMatch(/^node .*apps\/tuning-runner\/dist\/main\.js$/);
  });
});
