// Module: named parameters, buffers and sub-modules, train/eval mode, and a flat
// state dictionary ("enc.0.weight" -> Tensor) for checkpoints. Parameters and
// buffers are owned by the module (kept out of every scope) until dispose().
import { keep } from "../autograd/scope.js";
import type { Tensor } from "../autograd/tensor.js";

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.params.set(name, keep(t));
    return t;
  }

  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.buffers.set(name, keep(t));
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  *namedParameters(prefix = ""): Generator<[string, Tensor]> {
    for (const [n, t] of this.params) yield [prefix + n, t];
    for (const [n, m] of this.children) yield* m.namedParameters(`${prefix}${n}.`);
  }

  *namedBuffers(prefix = ""): Generator<[string, Tensor]> {
    for (const [n, t] of this.buffers) yield [prefix + n, t];
    for (const [n, m] of this.children) yield* m.namedBuffers(`${prefix}${n}.`);
  }

  *namedModules(prefix = ""): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [n, m] of this.children) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, t]) => t);
  }

  /** Parameters and buffers by dotted name, as PyTorch's state_dict(). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Freezes (false) or unfreezes (true) every parameter, as PyTorch's
   * module.requires_grad_(): the trailing underscore marks it as changing the
   * module in place, and keeps it apart from the `requiresGrad` field of a
   * Tensor (PyTorch's tensor.requires_grad).
   */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }

  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
      t.grad?.dispose();
      t.dispose();
    }
  }
}
