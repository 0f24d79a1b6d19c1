/**
 * Runs one pod as local processes, like a kubelet's pod worker: volumes, then init containers in
 * order (native sidecars started and left running), then the main containers under the pod's
 * restartPolicy with CrashLoopBackOff back-off, readiness probes, and the status written back
 * after every change. Deletion stops every container (SIGTERM, grace period, SIGKILL).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@kaito-ts/controller-runtime';
import type { KubeletDirs } from './dirs.js';
import { containerEnv, expand, POD_IP } from './env.js';
import { containerCommand, type ImageMap, UnmappedImageError } from './image-map.js';
import { mountScript } from './mount-script.js';
import { ensureMountPoints, isolationFor, unreachableDirs } from './namespaces.js';
import { HOST_PORTS_ANNOTATION, hostPorts, type PortProxies, startPortProxies } from './host-ports.js';
import { probeOnce } from './probes.js';
import { type StartedProcess, startProcess, stopProcess } from './process-group.js';
import { type Container, ContainerConfigError, type ObjectLookup, type Pod, VolumeSetupError } from './types.js';
import { containerMounts, type PreparedVolume, prepareVolumes } from './volumes.js';

export interface WorkerDeps {
  readonly lookup: ObjectLookup;
  readonly imageMap: () => ImageMap;
  readonly writeStatus: (pod: Pod, status: Record<string, unknown>) => Promise<void>;
  /** Merges annotations into the pod's metadata. */
  readonly annotate: (pod: Pod, annotations: Record<string, string>) => Promise<void>;
  readonly nodeAllocatable: Readonly<Record<string, string>>;
  readonly dirs: KubeletDirs;
  readonly logger: Logger;
  /** Variables every container starts with (PATH, HOME, …). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** CrashLoopBackOff: initial delay, doubled per restart up to max (kubelet: 10 s → 300 s). */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** How often a CreateContainerConfigError or FailedMount is retried. */
  readonly retryMs: number;
}

type State =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt: string; containerID?: string } };

interface Record_ {
  readonly spec: Container;
  readonly init: boolean;
  readonly sidecar: boolean;
  restartCount: number;
  state: State;
  lastState?: State;
  ready: boolean;
  started: boolean;
  everStarted: boolean;
  pullFailures: number;
  proc?: StartedProcess | undefined;
  env?: Readonly<Record<string, string>>;
}

const TERMINATION_MESSAGE_MAX = 4096;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

export const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export function logDirOf(dirs: KubeletDirs, pod: Pod): string {
  return join(dirs.logs, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
}

/** Where a container's output goes: `<logs>/<ns>_<pod>_<uid>/<container>/<restartCount>.log`, as /var/log/pods. */
export function containerLogFile(dirs: KubeletDirs, pod: Pod, container: string, restartCount: number): string {
  return join(logDirOf(dirs, pod), container, `${restartCount}.log`);
}

export class PodWorker {
  pod: Pod;
  readonly #d: WorkerDeps;
  readonly #records = new Map<string, Record_>();
  readonly #stop = new AbortController();
  readonly #podDir: string;
  readonly #transitions = new Map<string, string>();
  #readyToStart = false;
  #initialized = false;
  #phase: 'Succeeded' | 'Failed' | undefined;
  #startTime = now();
  #dirty = false;
  #writing: Promise<void> | undefined;
  #done: Promise<void> | undefined;
  #graceMs = 30_000;
  #proxies: PortProxies | undefined;

  constructor(pod: Pod, deps: WorkerDeps) {
    this.pod = pod;
    this.#d = deps;
    this.#podDir = join(deps.dirs.pods, pod.metadata.uid);
    for (const c of pod.spec.initContainers ?? []) this.#records.set(c.name, this.#record(c, true));
    for (const c of pod.spec.containers) this.#records.set(c.name, this.#record(c, false));
  }

  #record(spec: Container, init: boolean): Record_ {
    return {
      spec,
      init,
      sidecar: init && spec.restartPolicy === 'Always',
      restartCount: 0,
      state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } },
      ready: false,
      started: false,
      everStarted: false,
      pullFailures: 0,
    };
  }

  get log(): Logger {
    return this.#d.logger;
  }

  /** Starts the pod; resolves when every container has finished for good or the pod was stopped. */
  start(): Promise<void> {
    this.#done ??= this.#run().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error('pod worker failed', { error: message });
      // Say so on the pod, or it sits in ContainerCreating with nothing to tell why.
      for (const r of this.#records.values()) {
        if ('waiting' in r.state) r.state = { waiting: { reason: r.state.waiting.reason, message: `the process kubelet gave up on this pod: ${message}` } };
      }
      this.#publish();
    });
    return this.#done;
  }

  get stopping(): boolean {
    return this.#stop.signal.aborted;
  }

  /**
   * Stops every container: SIGTERM, then SIGKILL after `graceMs`. Writes the final status unless
   * `writeStatus` is false (the pod is gone), then removes the pod's directory (logs are kept).
   */
  async terminate(graceMs: number, writeStatus = true): Promise<void> {
    this.#graceMs = graceMs;
    this.#stop.abort();
    const running = [...this.#records.values()].filter((r) => r.proc !== undefined);
    this.log.info('stopping pod', { graceMs, containers: running.map((r) => r.spec.name) });
    await Promise.all(running.map((r) => (r.proc ? stopProcess(r.proc, graceMs) : undefined)));
    await this.#done;
    await this.#proxies?.close();
    if (writeStatus) {
      this.#publish();
      await this.#flushed();
    }
    rmSync(this.#podDir, { recursive: true, force: true });
  }

  async #run(): Promise<void> {
    mkdirSync(this.#podDir, { recursive: true });
    this.#publish();
    const volumes = await this.#retrying(() => prepareVolumes(this.pod, this.#podDir, this.#d.lookup, this.#d.nodeAllocatable), (err) => {
      for (const r of this.#records.values()) r.state = { waiting: { reason: r.init ? 'PodInitializing' : 'ContainerCreating', message: err.message } };
    });
    if (volumes === undefined) return;
    const ports = hostPorts(this.pod);
    if (Object.keys(ports).length > 0) {
      this.#proxies = await startPortProxies(this.pod);
      await this.#d.annotate(this.pod, { [HOST_PORTS_ANNOTATION]: JSON.stringify(ports) });
    }
    this.#readyToStart = true;
    this.#publish();

    const sidecars: Promise<void>[] = [];
    for (const c of this.pod.spec.initContainers ?? []) {
      const r = this.#records.get(c.name);
      if (r === undefined) continue;
      if (r.sidecar) {
        sidecars.push(this.#supervise(r, volumes, 'Always'));
        while (!r.everStarted && !this.stopping) await this.#sleep(100);
        continue;
      }
      for (;;) {
        const code = await this.#runOnce(r, volumes);
        if (code === undefined) return;
        if (code === 0) break;
        if (this.pod.spec.restartPolicy === 'Never') {
          this.#phase = 'Failed';
          await this.#stopSidecars();
          this.#publish();
          return;
        }
        if (!(await this.#backoff(r))) return;
      }
    }
    this.#initialized = true;
    this.#publish();
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    await Promise.all(this.pod.spec.containers.map((c) => this.#supervise(this.#records.get(c.name) as Record_, volumes, policy)));
    if (this.stopping) return;
    await this.#stopSidecars();
    const main = this.pod.spec.containers.map((c) => this.#records.get(c.name) as Record_);
    this.#phase = main.every((r) => 'terminated' in r.state && r.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed';
    await this.#proxies?.close();
    this.log.info('pod finished', { phase: this.#phase });
    this.#publish();
  }

  async #stopSidecars(): Promise<void> {
    const running = [...this.#records.values()].filter((r) => r.sidecar && r.proc !== undefined);
    const graceMs = (this.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    await Promise.all(running.map((r) => (r.proc ? stopProcess(r.proc, graceMs) : undefined)));
  }

  /** Runs a container again and again as `policy` says; returns when it is done for good or the pod stops. */
  async #supervise(r: Record_, volumes: Map<string, PreparedVolume>, policy: string): Promise<void> {
    for (;;) {
      const code = await this.#runOnce(r, volumes);
      if (code === undefined || this.stopping) return;
      const restart = policy === 'Always' || (policy === 'OnFailure' && code !== 0);
      // A sidecar stops for good once the main containers are done (#stopSidecars).
      if (!restart || (r.sidecar && this.#mainDone())) return;
      if (!(await this.#backoff(r))) return;
    }
  }

  #mainDone(): boolean {
    return this.pod.spec.containers.every((c) => {
      const s = this.#records.get(c.name)?.state;
      return s !== undefined && 'terminated' in s;
    });
  }

  /** CrashLoopBackOff before the next restart; false when the pod stopped meanwhile. */
  async #backoff(r: Record_): Promise<boolean> {
    const { initialMs, maxMs } = this.#d.backoff;
    const delayMs = Math.min(initialMs * 2 ** r.restartCount, maxMs);
    const p = this.pod.metadata;
    r.lastState = r.state;
    r.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${formatDuration(delayMs)} restarting failed container=${r.spec.name} pod=${p.name}_${p.namespace}(${p.uid})`,
      },
    };
    r.restartCount++;
    this.#publish();
    await this.#sleep(delayMs);
    return !this.stopping;
  }

  /** One run of a container; resolves with its exit code, or undefined when the pod stopped first. */
  async #runOnce(r: Record_, volumes: Map<string, PreparedVolume>): Promise<number | undefined> {
    const c = r.spec;
    const prepared = await this.#retrying(
      async () => {
        let cmd;
        try {
          cmd = containerCommand(this.#d.imageMap(), c);
        } catch (err) {
          if (!(err instanceof UnmappedImageError)) throw err;
          r.pullFailures++;
          throw err;
        }
        const env = await containerEnv({
          pod: this.pod,
          container: c,
          lookup: this.#d.lookup,
          nodeAllocatable: this.#d.nodeAllocatable,
          // The image's ENV may build on the kubelet's, as a Dockerfile's ENV PATH=/x:$PATH does: $(PATH).
          base: { ...this.#d.baseEnv, ...Object.fromEntries(Object.entries(cmd.env).map(([k, v]) => [k, expand(v, this.#d.baseEnv)])) },
        });
        return { cmd, env, mounts: containerMounts(c, volumes) };
      },
      (err) => {
        const reason =
          err instanceof UnmappedImageError ? (r.pullFailures > 1 ? 'ImagePullBackOff' : 'ErrImagePull') : err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        r.state = { waiting: { reason, message: err.message } };
      },
      (err) => (err instanceof UnmappedImageError ? Math.min(this.#d.backoff.initialMs * 2 ** (r.pullFailures - 1), this.#d.backoff.maxMs) : this.#d.retryMs),
    );
    if (prepared === undefined) return undefined;
    const { cmd, env, mounts } = prepared;
    const argv = cmd.argv.map((a) => expand(a, env));
    const dir = join(this.#podDir, 'containers', c.name);
    mkdirSync(dir, { recursive: true });
    const termFile = join(dir, 'termination-log');
    writeFileSync(termFile, '');
    const script = join(dir, 'start.sh');
    // The image's files first: a volume mounted at the same path lands on top of them, as in a pod.
    const allMounts = [...cmd.files, ...mounts, { source: termFile, target: c.terminationMessagePath ?? '/dev/termination-log', readOnly: false }];
    const logFile = containerLogFile(this.#d.dirs, this.pod, c.name, r.restartCount);
    const startedAt = now();
    let proc: StartedProcess;
    try {
      const isolation = isolationFor();
      const cover = unreachableDirs([...allMounts.map((m) => m.target), `${cmd.workingDir}/.`], isolation);
      writeFileSync(script, mountScript({ mounts: allMounts, workingDir: cmd.workingDir, cover }));
      ensureMountPoints(allMounts, isolation);
      proc = await startProcess({ script, argv, env, logFile, kubeletDir: this.#d.dirs.root, pidFile: join(this.#d.dirs.pids, `${this.pod.metadata.uid}_${c.name}`) });
    } catch (err) {
      r.lastState = r.state;
      r.state = { terminated: { exitCode: 128, reason: 'StartError', message: (err as Error).message, finishedAt: now() } };
      this.#publish();
      return 128;
    }
    r.proc = proc;
    r.env = env;
    // Deleted while it was starting: it gets the same SIGTERM and grace as the others.
    if (this.stopping) void stopProcess(proc, this.#graceMs);
    r.everStarted = true;
    r.started = true;
    r.state = { running: { startedAt } };
    r.ready = c.readinessProbe === undefined;
    this.log.info('container started', { container: c.name, pid: proc.pid, argv: cmd.argv, log: logFile, restartCount: r.restartCount });
    this.#publish();
    const probing = new AbortController();
    if (c.readinessProbe !== undefined) void this.#probeLoop(r, proc, probing.signal);
    const exitCode = await proc.exited;
    probing.abort();
    r.proc = undefined;
    r.ready = false;
    r.started = false;
    const message = this.#terminationMessage(c, termFile, logFile, exitCode);
    r.state = {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        ...(message !== '' ? { message } : {}),
        startedAt,
        finishedAt: now(),
        containerID: `process://${proc.pid}`,
      },
    };
    this.log.info('container exited', { container: c.name, exitCode, log: logFile });
    this.#publish();
    return exitCode;
  }

  #terminationMessage(c: Container, termFile: string, logFile: string, exitCode: number): string {
    let message = '';
    try {
      message = readFileSync(termFile).subarray(0, TERMINATION_MESSAGE_MAX).toString('utf8');
    } catch {
      // no file: no message
    }
    if (message === '' && exitCode !== 0 && c.terminationMessagePolicy === 'FallbackToLogsOnError') {
      try {
        const tail = readFileSync(logFile, 'utf8').split('\n');
        if (tail[tail.length - 1] === '') tail.pop();
        const text = tail.slice(-FALLBACK_LOG_LINES).join('\n');
        message = Buffer.from(text).subarray(-FALLBACK_LOG_BYTES).toString('utf8');
      } catch {
        // no log
      }
    }
    return message;
  }

  async #probeLoop(r: Record_, proc: StartedProcess, signal: AbortSignal): Promise<void> {
    const probe = r.spec.readinessProbe;
    if (probe === undefined) return;
    const periodMs = (probe.periodSeconds ?? 10) * 1000;
    const failureThreshold = probe.failureThreshold ?? 3;
    const successThreshold = probe.successThreshold ?? 1;
    let successes = 0;
    let failures = 0;
    await this.#sleep((probe.initialDelaySeconds ?? 0) * 1000, signal);
    while (!signal.aborted) {
      const result = await probeOnce(probe, { pid: proc.pid, env: r.env ?? {}, container: r.spec });
      if (signal.aborted) return;
      if (result.ok) {
        failures = 0;
        successes++;
        if (!r.ready && successes >= successThreshold) {
          r.ready = true;
          this.#publish();
        }
      } else {
        successes = 0;
        failures++;
        if (r.ready && failures >= failureThreshold) {
          r.ready = false;
          this.#publish();
        }
        this.log.debug('readiness probe failed', { container: r.spec.name, message: result.message });
      }
      await this.#sleep(periodMs, signal);
    }
  }

  /** Retries `fn` every few seconds while it throws one of the "not yet" errors; undefined when the pod stopped. */
  async #retrying<T>(fn: () => Promise<T>, onError: (err: Error) => void, delayFor: (err: Error) => number = () => this.#d.retryMs): Promise<T | undefined> {
    while (!this.stopping) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ContainerConfigError || err instanceof VolumeSetupError || err instanceof UnmappedImageError)) throw err;
        onError(err);
        this.log.info('container cannot start yet', { reason: err.code, message: err.message });
        this.#publish();
        await this.#sleep(delayFor(err));
      }
    }
    return undefined;
  }

  #sleep(ms: number, signal: AbortSignal = this.#stop.signal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** The pod's status as a kubelet would write it now. */
  status(): Record<string, unknown> {
    const main = this.pod.spec.containers.map((c) => this.#records.get(c.name) as Record_);
    const inits = (this.pod.spec.initContainers ?? []).map((c) => this.#records.get(c.name) as Record_);
    const phase = this.#phase ?? (this.#initialized && main.some((r) => r.everStarted) ? 'Running' : 'Pending');
    const containersReady = phase === 'Running' && main.every((r) => r.ready) && inits.filter((r) => r.sidecar).every((r) => r.ready);
    const ours: Record<string, boolean> = {
      PodReadyToStartContainers: this.#readyToStart,
      Initialized: this.#initialized,
      ContainersReady: containersReady,
      Ready: containersReady,
    };
    const kept = (this.pod.status?.conditions ?? []).filter((c) => !(c.type in ours));
    const conditions = [
      ...kept,
      ...Object.entries(ours).map(([type, ok]) => ({
        type,
        status: ok ? 'True' : 'False',
        lastTransitionTime: this.#transition(type, ok),
        ...(!ok && (type === 'Ready' || type === 'ContainersReady') && phase !== 'Pending'
          ? { reason: phase === 'Running' ? 'ContainersNotReady' : 'PodCompleted' }
          : {}),
      })),
    ];
    const cs = (r: Record_): Record<string, unknown> => ({
      name: r.spec.name,
      image: r.spec.image ?? '',
      imageID: '',
      ready: r.ready,
      restartCount: r.restartCount,
      started: r.started,
      state: r.state,
      ...(r.lastState !== undefined ? { lastState: r.lastState } : {}),
      ...(r.proc !== undefined ? { containerID: `process://${r.proc.pid}` } : {}),
    });
    return {
      phase,
      conditions,
      hostIP: POD_IP,
      hostIPs: [{ ip: POD_IP }],
      podIP: POD_IP,
      podIPs: [{ ip: POD_IP }],
      startTime: this.#startTime,
      ...(inits.length > 0 ? { initContainerStatuses: inits.map(cs) } : {}),
      containerStatuses: main.map(cs),
    };
  }

  #transition(type: string, ok: boolean): string {
    const key = `${type}=${ok}`;
    let t = this.#transitions.get(key);
    if (t === undefined) {
      t = now();
      this.#transitions.delete(`${type}=${!ok}`);
      this.#transitions.set(key, t);
    }
    return t;
  }

  #publish(): void {
    this.#dirty = true;
    // Cleared in #flush's own finally, in the same turn as its last look at #dirty: a change
    // published after that starts a new flush instead of being lost.
    if (this.#writing === undefined) this.#writing = this.#flush();
  }

  async #flushed(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        try {
          await this.#d.writeStatus(this.pod, this.status());
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (code === 404) return;
          this.log.warn('writing pod status failed; retrying', { error: err instanceof Error ? err.message : String(err) });
          this.#dirty = true;
          await this.#sleep(1000, new AbortController().signal);
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

export const podDirExists = (dirs: KubeletDirs, uid: string): boolean => existsSync(join(dirs.pods, uid));
