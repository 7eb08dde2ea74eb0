// A size-keyed pool of storage buffers: the one place GPU memory is allocated.
//
// A training loop asks for the same sizes every iteration, so freed buffers are
// kept in free lists keyed by byte size and handed out again instead of being
// destroyed. A buffer released while the current command encoder is still open
// may still be read by a recorded dispatch; it is parked in `retiring` and only
// becomes reusable once that encoder is submitted (`afterSubmit`). That makes a
// reused buffer safe for `queue.writeBuffer`, which runs before the encoder.

export interface PoolStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers ever created by the pool and not destroyed (live + free + retiring). */
  allocatedBuffers: number;
  allocatedBytes: number;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private retiring: GPUBuffer[] = [];
  /** Bytes released since the last submit: the runtime submits early when this grows large. */
  retiringBytes = 0;
  private stats: PoolStats = { liveBuffers: 0, liveBytes: 0, allocatedBuffers: 0, allocatedBytes: 0 };

  // Read when the pool is made, not when this module loads: under Node the
  // WebGPU globals exist only once the host has created its GPU object.
  private readonly usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

  constructor(private device: GPUDevice) {}

  /** A storage buffer of at least `bytes` bytes (rounded up to 16). */
  acquire(bytes: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const limits = this.device.limits;
    const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
    if (size > limit) {
      throw new RangeError(
        `buffer of ${size} bytes asked for, but this device allows at most ${limit} bytes per storage buffer ` +
          `(maxBufferSize ${limits.maxBufferSize}, maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize})`,
      );
    }
    let buffer = this.free.get(size)?.pop();
    if (!buffer) {
      buffer = this.device.createBuffer({ size, usage: this.usage });
      this.stats.allocatedBuffers++;
      this.stats.allocatedBytes += size;
    }
    this.stats.liveBuffers++;
    this.stats.liveBytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    this.stats.liveBuffers--;
    this.stats.liveBytes -= buffer.size;
    this.retiring.push(buffer);
    this.retiringBytes += buffer.size;
  }

  /** Called once the encoder that may have used retiring buffers has been submitted. */
  afterSubmit(): void {
    for (const buffer of this.retiring) {
      let list = this.free.get(buffer.size);
      if (!list) this.free.set(buffer.size, (list = []));
      list.push(buffer);
    }
    this.retiring = [];
    this.retiringBytes = 0;
  }

  /** Destroys every free buffer (live ones stay). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.stats.allocatedBuffers--;
        this.stats.allocatedBytes -= buffer.size;
        buffer.destroy();
      }
    }
    this.free.clear();
  }

  snapshot(): PoolStats {
    return { ...this.stats };
  }
}
