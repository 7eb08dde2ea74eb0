// The GPU runtime: one device, a pipeline cache, one buffer pool, and command
// batching. Ops call `launch` to record a dispatch; nothing is submitted until a
// value is read back (`read`) or a step ends (`flush`). Per-dispatch scalar
// arguments are packed into one uniform arena written once per submit.
//
// Errors are never silent: WGSL compile errors are caught in a validation error
// scope and reported with the kernel's name and line; uncaptured errors and a
// lost device are raised at the next launch, flush or read.

import { BufferPool, type PoolStats } from "./pool.js";
import { formatCompileMessage, layoutOf, wgslCode, type JoinedWgsl, type Kernel } from "./kernel.js";
import { Tuner, type TuneResult } from "./tuner.js";

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  /** The device's compute limits as granted (and the subgroup sizes, where the adapter reports them). */
  limits: Record<string, number>;
}

export interface RuntimeStats extends PoolStats {
  dispatches: number;
  submits: number;
  readbacks: number;
  pipelines: number;
}

const ARENA_BYTES = 256 * 1024; // 1024 dispatches of scalar arguments per submit
const SLOT_ALIGN = 256; // minUniformBufferOffsetAlignment's default
const RETIRING_FLUSH_BYTES = 128 * 1024 * 1024; // submit early so freed memory can be reused

/** GPU time of the dispatches of one kernel and parameter set, summed while profiling. */
export interface ProfileEntry {
  /** Kernel name ("file.wgsl:entry") and its scalar parameters, e.g. "conv2d.wgsl:conv2d_forward N=32 Ci=8 ...". */
  key: string;
  dispatches: number;
  ms: number;
}

const PROFILE_QUERIES = 4096; // two timestamps per dispatch, resolved at every flush
const TUNE_BATCH_MS = 20; // a timed batch of one variant lasts at least this long (or 64 runs)
const TUNE_ROUNDS = 5; // timed batches of each variant, interleaved

export class GpuError extends Error {
  override name = "GpuError";
}

export class Runtime {
  readonly pool: BufferPool;
  /** Which kernel variant each op runs at each shape (see tuner.ts). */
  readonly tuner = new Tuner();
  private pipelines = new Map<string, Map<string, Kernel>>();
  private pipelineCount = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private arena: GPUBuffer;
  private arenaData = new ArrayBuffer(ARENA_BYTES);
  private arenaUsed = 0;
  private pendingChecks: Promise<void>[] = [];
  private fatal: Error | null = null;
  private counters = { dispatches: 0, submits: 0, readbacks: 0 };
  private profiler: {
    querySet: GPUQuerySet;
    keys: string[];
    pending: Promise<void>[];
    totals: Map<string, ProfileEntry>;
  } | null = null;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterReport,
  ) {
    this.pool = new BufferPool(device);
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.lost.then((info) => {
      if (info.reason !== "destroyed") {
        this.fatal ??= new GpuError(`GPU device lost (${info.reason}): ${info.message || "no message"}`);
      } else {
        this.fatal ??= new GpuError("GPU device was destroyed");
      }
    });
    device.addEventListener("uncapturederror", (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.fatal ??= new GpuError(`WebGPU error: ${error.message}`);
    });
  }

  /** Throws the first fatal error (lost device, compile error, validation error) seen so far. */
  private throwIfFatal(): void {
    if (this.fatal) throw this.fatal;
  }

  /**
   * The kernel for `entry` in `source`, compiled once per (code, entry, constants).
   * `name` is the shader file, used in error messages; `source` is its code, or
   * the code joined with files it appends (joinWgsl). `constants` sets the
   * shader's `override` declarations: a layer's shape baked in when the
   * pipeline is created, so the compiler folds the index arithmetic.
   */
  kernel(name: string, source: string | JoinedWgsl, entry: string, constants?: Record<string, number>): Kernel {
    const code = wgslCode(source);
    const baked = constants ? Object.entries(constants).map(([k, v]) => `${k}=${v}`).join(" ") : "";
    // Keyed by the source string itself (whose hash the JS engine keeps), then by entry and constants.
    let ofCode = this.pipelines.get(code);
    if (!ofCode) this.pipelines.set(code, (ofCode = new Map()));
    const key = `${entry} ${baked}`;
    const cached = ofCode.get(key);
    if (cached) return cached;
    this.throwIfFatal();
    const fullName = baked ? `${name}:${entry}(${baked})` : `${name}:${entry}`;
    const layout = layoutOf(fullName, code, entry);
    const entries: GPUBindGroupLayoutEntry[] = layout.buffers.map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.kind },
    }));
    if (layout.params) {
      entries.push({ binding: layout.params.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } });
    }
    const device = this.device;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ label: fullName, code });
    const bindGroupLayout = device.createBindGroupLayout({ label: fullName, entries });
    const pipeline = device.createComputePipeline({
      label: fullName,
      layout: device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] }),
      compute: { module, entryPoint: entry, constants },
    });
    this.pendingChecks.push(
      device.popErrorScope().then(async (error) => {
        if (!error) return;
        const info = await module.getCompilationInfo();
        const errors = info.messages.filter((m) => m.type === "error");
        const detail = errors.length
          ? errors.map((m) => formatCompileMessage(fullName, source, m)).join("\n")
          : `${fullName}: ${error.message}`;
        this.fatal ??= new GpuError(`WGSL compile error in kernel ${detail}`);
      }),
    );
    const kernel: Kernel = { name: fullName, pipeline, bindGroupLayout, layout };
    ofCode.set(key, kernel);
    this.pipelineCount++;
    return kernel;
  }

  /** Compiles a kernel and waits for the compiler's verdict (tests and start-up checks). */
  async compile(name: string, source: string | JoinedWgsl, entry: string): Promise<Kernel> {
    const kernel = this.kernel(name, source, entry);
    await this.checkErrors();
    return kernel;
  }

  /** Resolves once every compile started so far is checked; rejects with the first error. */
  async checkErrors(): Promise<void> {
    const checks = this.pendingChecks;
    this.pendingChecks = [];
    await Promise.all(checks);
    this.throwIfFatal();
  }

  /**
   * Records one dispatch. `buffers` maps every storage binding of the entry point
   * by name; `params` fills its uniform struct by member name; `workgroups` is the
   * dispatch grid.
   */
  launch(
    kernel: Kernel,
    buffers: Record<string, GPUBuffer>,
    params: Record<string, number>,
    workgroups: readonly [number, number?, number?],
  ): void {
    this.throwIfFatal();
    const { layout } = kernel;
    const entries: GPUBindGroupEntry[] = layout.buffers.map((b) => {
      const buffer = buffers[b.name];
      if (!buffer) throw new Error(`kernel ${kernel.name}: no buffer given for binding '${b.name}'`);
      return { binding: b.binding, resource: { buffer } };
    });
    if (layout.params) {
      const slot = layout.params;
      if (this.arenaUsed + slot.size > ARENA_BYTES) this.flush();
      const view = new DataView(this.arenaData, this.arenaUsed, slot.size);
      for (const m of slot.members) {
        const value = params[m.name];
        if (value === undefined || Number.isNaN(value) && m.type !== "f32") {
          throw new Error(`kernel ${kernel.name}: parameter '${m.name}' missing or not a number`);
        }
        if (m.type === "f32") view.setFloat32(m.offset, value, true);
        else if (m.type === "u32") view.setUint32(m.offset, value, true);
        else view.setInt32(m.offset, value, true);
      }
      entries.push({ binding: slot.binding, resource: { buffer: this.arena, offset: this.arenaUsed, size: slot.size } });
      this.arenaUsed += Math.ceil(slot.size / SLOT_ALIGN) * SLOT_ALIGN;
    }
    const [x, y = 1, z = 1] = workgroups;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new RangeError(`kernel ${kernel.name}: dispatch [${x}, ${y}, ${z}] exceeds ${max} workgroups per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const bindGroup = this.device.createBindGroup({ layout: kernel.bindGroupLayout, entries });
    const pass = this.profiler ? this.profiledPass(kernel, params) : this.computePass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.counters.dispatches++;
    if (this.pool.retiringBytes > RETIRING_FLUSH_BYTES) this.flush();
  }

  private commandEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private computePass(): GPUComputePassEncoder {
    return (this.pass ??= this.commandEncoder().beginComputePass());
  }

  /** While profiling: a pass of its own for one dispatch, timestamped at both ends. */
  private profiledPass(kernel: Kernel, params: Record<string, number>): GPUComputePassEncoder {
    const profiler = this.profiler!;
    if (profiler.keys.length * 2 >= PROFILE_QUERIES) this.flush();
    this.endPass();
    const index = profiler.keys.length * 2;
    const members = kernel.layout.params?.members ?? [];
    profiler.keys.push([kernel.name, ...members.map((m) => `${m.name}=${params[m.name]}`)].join(" "));
    return (this.pass = this.commandEncoder().beginComputePass({
      timestampWrites: { querySet: profiler.querySet, beginningOfPassWriteIndex: index, endOfPassWriteIndex: index + 1 },
    }));
  }

  /**
   * Records the resolve of the timestamps taken since the last flush; the
   * returned function, called after the submit, adds them to the profile.
   */
  private resolveProfile(): (() => void) | null {
    const profiler = this.profiler;
    if (!profiler || profiler.keys.length === 0) return null;
    const keys = profiler.keys;
    profiler.keys = [];
    const bytes = keys.length * 2 * 8;
    const resolved = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.commandEncoder();
    encoder.resolveQuerySet(profiler.querySet, 0, keys.length * 2, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    return () => profiler.pending.push(
      (async () => {
        await staging.mapAsync(GPUMapMode.READ);
        const stamps = new BigUint64Array(staging.getMappedRange());
        keys.forEach((key, i) => {
          const ms = Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6;
          const entry = profiler.totals.get(key) ?? { key, dispatches: 0, ms: 0 };
          entry.dispatches++;
          entry.ms += ms;
          profiler.totals.set(key, entry);
        });
        staging.destroy();
        resolved.destroy();
      })(),
    );
  }

  /**
   * Starts summing the GPU time of every dispatch by kernel and parameters
   * (needs the adapter's timestamp-query feature). Each dispatch then gets a
   * compute pass of its own, which adds a little time of its own: use it to
   * see where an iteration's time goes, not to time it.
   */
  startProfile(): void {
    if (!this.device.features.has("timestamp-query")) {
      throw new GpuError("profiling needs the adapter's timestamp-query feature, which this device lacks");
    }
    this.flush();
    this.profiler = {
      querySet: this.device.createQuerySet({ type: "timestamp", count: PROFILE_QUERIES }),
      keys: [],
      pending: [],
      totals: new Map(),
    };
  }

  /** Stops profiling and returns the time of every kernel and parameter set seen, slowest first. */
  async stopProfile(): Promise<ProfileEntry[]> {
    const profiler = this.profiler;
    if (!profiler) throw new GpuError("stopProfile() without startProfile()");
    this.flush();
    this.profiler = null;
    await Promise.all(profiler.pending);
    profiler.querySet.destroy();
    return [...profiler.totals.values()].sort((a, b) => b.ms - a.ms);
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Records a buffer-to-buffer copy in order with the dispatches. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.throwIfFatal();
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** A pooled buffer holding `data`. */
  upload(data: Float32Array | Uint32Array | Int32Array): GPUBuffer {
    this.throwIfFatal();
    const buffer = this.pool.acquire(data.byteLength);
    // Safe: a pooled buffer handed out is not used by any unsubmitted command (see pool.ts).
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /**
   * Overwrites `buffer` with `data` after every command recorded so far (queue
   * writes run before unsubmitted commands, so pending work is submitted first).
   */
  write(buffer: GPUBuffer, data: Float32Array): void {
    this.flush();
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    this.throwIfFatal();
    this.endPass();
    const collectProfile = this.resolveProfile();
    if (this.arenaUsed > 0) {
      this.device.queue.writeBuffer(this.arena, 0, this.arenaData, 0, this.arenaUsed);
      this.arenaUsed = 0;
    }
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.counters.submits++;
    }
    collectProfile?.();
    this.pool.afterSubmit();
  }

  /** Submits pending work and reads `bytes` bytes of `buffer` back as float32. */
  async read(buffer: GPUBuffer, bytes: number, offset = 0): Promise<Float32Array> {
    await this.checkErrors();
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      this.copy(buffer, staging, bytes, offset, 0);
      this.flush();
      this.counters.readbacks++;
      const lost = this.device.lost.then(() => {
        throw this.fatal ?? new GpuError("GPU device lost during a read");
      });
      try {
        await Promise.race([staging.mapAsync(GPUMapMode.READ), lost]);
      } catch (error) {
        // mapAsync can reject (AbortError) before device.lost has resolved: report it as the GPU failure it is.
        throw this.fatal ?? new GpuError(`GPU read failed, the device is probably lost: ${(error as Error).message}`);
      }
      const out = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      this.throwIfFatal();
      return out;
    } finally {
      staging.destroy();
    }
  }

  /**
   * Times the kernel variants of every shape the ops have met since the last
   * call and keeps the fastest of each. Each variant runs in batches long
   * enough to time, the variants' batches interleaved over several rounds
   * (so a busy moment of the machine falls on all of them), and its time is
   * that of its fastest round: the other work on a machine only ever adds
   * time, and a busy spell longer than a round moved the median. GPU time from
   * timestamp queries where the adapter has them (no submit or wait
   * counted), else wall time to completion.
   */
  async tune(log?: (line: string) => void): Promise<TuneResult[]> {
    const timestamps = this.device.features.has("timestamp-query");
    const batch = async (record: () => void, reps: number) => {
      if (timestamps) this.startProfile();
      const start = performance.now();
      for (let i = 0; i < reps; i++) record();
      await this.sync();
      const wall = performance.now() - start;
      const gpu = timestamps ? (await this.stopProfile()).reduce((t, k) => t + k.ms, 0) : wall;
      return gpu / reps;
    };
    return this.tuner.tune(async (records) => {
      const reps: number[] = [];
      for (const record of records) {
        await batch(record, 1); // compiles the pipelines, fills the pool
        let n = 1;
        for (let ms = await batch(record, n); ms * n < TUNE_BATCH_MS && n < 64; ms = await batch(record, n)) n *= 2;
        reps.push(n);
      }
      const samples: number[][] = records.map(() => []);
      for (let round = 0; round < TUNE_ROUNDS; round++) {
        for (const [i, record] of records.entries()) samples[i].push(await batch(record, reps[i]));
      }
      return samples.map((s) => Math.min(...s));
    }, log);
  }

  /** Waits until the GPU has finished all submitted work. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  stats(): RuntimeStats {
    return { ...this.pool.snapshot(), ...this.counters, pipelines: this.pipelineCount };
  }
}

/** Splits `total` workgroups into a grid within the per-dimension limit. */
export function grid(total: number, max = 65535): [number, number] {
  if (total <= max) return [total, 1];
  const y = Math.ceil(total / max);
  return [Math.ceil(total / y), y];
}
