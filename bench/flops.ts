// FLOPs, counted analytically from the layer shapes of the real networks.
//
// Only convolutions, transposed convolutions and linear layers are counted
// (2 FLOPs per multiply-add); batch norm, activations, losses and Adam are
// elementwise and left out, so "GFLOP/s" of a whole iteration is a lower bound
// on the work done. Padding taps are counted (the usual convention): for every
// layer, forward, input gradient (dX) and weight gradient (dW) each cost
//     2 * N * (multiply-adds per sample),
// where a conv2d's multiply-adds per sample are Cout * Ho * Wo * Cin * k * k and
// a transposed convolution's are those of the conv2d it transposes
// (Cin * Hin * Win * Cout * k * k, Hin being the transposed conv's input size).
import * as nn from "../src/nn/index.js";
import type { Networks } from "../src/ocgan/networks.js";
import type { OcganConfig } from "../src/ocgan/config.js";

export type LayerKind = "conv2d" | "convTranspose2d" | "linear";

export interface Layer {
  net: string;
  /** Position among the net's conv/linear layers, from the input. */
  index: number;
  kind: LayerKind;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  padding: number;
  /** Spatial size of the input and output (1 for linear layers). */
  hin: number;
  hout: number;
  bias: boolean;
  /** Multiply-adds per sample of the forward pass. */
  macs: number;
}

const single = (v: number | [number, number] | undefined, fallback: number) => (v === undefined ? fallback : typeof v === "number" ? v : v[0]);

/** The conv/linear layers of `net` in data-flow order, with sizes propagated from an input of side `side`. */
export function layersOf(name: string, net: nn.Module, side: number): Layer[] {
  const layers: Layer[] = [];
  let h = side;
  for (const [, m] of net.namedModules()) {
    let layer: Omit<Layer, "net" | "index"> | null = null;
    if (m instanceof nn.Conv2d) {
      const [cout, cin, k] = m.weight.shape;
      const stride = single(m.options.stride, 1);
      const padding = single(m.options.padding, 0);
      const hout = Math.floor((h + 2 * padding - k) / stride) + 1;
      layer = { kind: "conv2d", cin, cout, k, stride, padding, hin: h, hout, bias: !!m.bias, macs: cout * hout * hout * cin * k * k };
    } else if (m instanceof nn.ConvTranspose2d) {
      const [cin, cout, k] = m.weight.shape;
      const stride = single(m.options.stride, 1);
      const padding = single(m.options.padding, 0);
      const hout = (h - 1) * stride - 2 * padding + k;
      layer = { kind: "convTranspose2d", cin, cout, k, stride, padding, hin: h, hout, bias: !!m.bias, macs: cin * h * h * cout * k * k };
    } else if (m instanceof nn.Linear) {
      const [cout, cin] = m.weight.shape;
      layer = { kind: "linear", cin, cout, k: 1, stride: 1, padding: 0, hin: 1, hout: 1, bias: !!m.bias, macs: cin * cout };
    }
    if (layer) {
      layers.push({ net: name, index: layers.length, ...layer });
      h = layer.hout;
    }
  }
  return layers;
}

export type NetLayers = Record<keyof Networks, Layer[]>;

/** Every network's layers: images are 32x32, latents enter De as 1x1 and Dl flat. */
export function networkLayers(nets: Networks): NetLayers {
  return {
    En: layersOf("En", nets.En, 32),
    De: layersOf("De", nets.De, 1),
    Dl: layersOf("Dl", nets.Dl, 1),
    Dv: layersOf("Dv", nets.Dv, 32),
    Cl: layersOf("Cl", nets.Cl, 32),
  };
}

const perSample = (layers: Layer[], from = 0) => layers.slice(from).reduce((s, l) => s + l.macs, 0);

/** Forward FLOPs of a network on a batch of n. */
export function forwardFlops(layers: Layer[], n: number): number {
  return 2 * n * perSample(layers);
}

/**
 * Backward FLOPs of a network on a batch of n: dW of every layer if its weights
 * are trained, dX of every layer but the first, and of the first too if the
 * network's input needs a gradient.
 */
export function backwardFlops(layers: Layer[], n: number, o: { weights: boolean; input: boolean }): number {
  const dW = o.weights ? perSample(layers) : 0;
  const dX = perSample(layers, o.input ? 0 : 1);
  return 2 * n * (dW + dX);
}

export interface IterationFlops {
  /** Steps 1 and 2, with the shared forward passes of the frozen En and De. */
  classifierAndDiscriminators: number;
  mining: number;
  generator: number;
  total: number;
}

/** FLOPs of one OCGAN iteration (src/ocgan/step.ts), step by step. */
export function iterationFlops(L: NetLayers, c: OcganConfig, batch: number, mining: boolean): IterationFlops {
  const B = batch;
  const fwd = forwardFlops;
  const bwd = backwardFlops;
  let s12 = 0;
  // Shared forward passes of the frozen En and De: encoded = En(x + n), generated = De(u).
  if (c.classifier || c.latentDisc) s12 += fwd(L.En, B);
  if (c.classifier || c.visualDisc) s12 += fwd(L.De, B);
  // 1. Classifier: De(encoded), then Cl on reconstructed and generated; Cl's weights train.
  if (c.classifier) s12 += fwd(L.De, B) + 2 * (fwd(L.Cl, B) + bwd(L.Cl, B, { weights: true, input: false }));
  // 2. Discriminators: Dl on u' and encoded, Dv on x and generated.
  if (c.latentDisc) s12 += 2 * (fwd(L.Dl, B) + bwd(L.Dl, B, { weights: true, input: false }));
  if (c.visualDisc) s12 += 2 * (fwd(L.Dv, B) + bwd(L.Dv, B, { weights: true, input: false }));
  // 3. Mining: K times Cl(De(l)) forward and back to l, no weight gradients.
  let s3 = 0;
  if (c.classifier && mining) {
    const one = fwd(L.De, B) + fwd(L.Cl, B) + bwd(L.Cl, B, { weights: false, input: true }) + bwd(L.De, B, { weights: false, input: true });
    s3 = c.miningSteps * one;
  }
  // 4. Generator: En and De train through MSE(De(En(x + n))), Dl(z) and Dv(De(l)).
  let s4 = fwd(L.En, B) + fwd(L.De, B) + bwd(L.De, B, { weights: true, input: true }) + bwd(L.En, B, { weights: true, input: false });
  if (c.latentDisc) s4 += fwd(L.Dl, B) + bwd(L.Dl, B, { weights: false, input: true });
  if (c.visualDisc) {
    s4 += fwd(L.De, B) + fwd(L.Dv, B) + bwd(L.Dv, B, { weights: false, input: true }) + bwd(L.De, B, { weights: true, input: false });
  }
  return { classifierAndDiscriminators: s12, mining: s3, generator: s4, total: s12 + s3 + s4 };
}
