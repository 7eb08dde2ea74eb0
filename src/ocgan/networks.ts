// OCGAN's five networks (../shared/ocgan-spec.md), NCHW on 32x32 inputs.
// k4 s2 p1 halves and doubles exactly (the DCGAN convention); convolutions that
// feed a batch norm have no bias, since the norm's shift makes it redundant.
import * as nn from "../nn/index.js";
import * as F from "../ops/functional.js";
import type { Tensor } from "../autograd/tensor.js";
import type { OcganConfig } from "./config.js";

const { Sequential, Conv2d, ConvTranspose2d, Linear, BatchNorm1d, BatchNorm2d, LeakyReLU, ReLU, Tanh } = nn;
const down = { stride: 2, padding: 1 };

/** conv 1->c LReLU, c->2c BN LReLU, 2c->4c BN LReLU: 32x32 -> 4x4 (En, Dv and Cl share it). */
function downsampler(c: number): nn.Module[] {
  return [
    new Conv2d(1, c, 4, down), new LeakyReLU(0.2),
    new Conv2d(c, 2 * c, 4, { ...down, bias: false }), new BatchNorm2d(2 * c), new LeakyReLU(0.2),
    new Conv2d(2 * c, 4 * c, 4, { ...down, bias: false }), new BatchNorm2d(4 * c), new LeakyReLU(0.2),
  ];
}

/** En: image [N,1,32,32] -> latent [N,d,1,1] bounded by tanh to (-1, 1). */
export function encoder(c: number, d: number): nn.Sequential {
  return new Sequential(...downsampler(c), new Conv2d(4 * c, d, 4, { bias: false }), new BatchNorm2d(d), new Tanh());
}

/** De: latent [N,d,1,1] -> image [N,1,32,32] in (-1, 1). */
export function decoder(c: number, d: number): nn.Sequential {
  return new Sequential(
    new ConvTranspose2d(d, 4 * c, 4, { bias: false }), new BatchNorm2d(4 * c), new ReLU(),
    new ConvTranspose2d(4 * c, 2 * c, 4, { ...down, bias: false }), new BatchNorm2d(2 * c), new ReLU(),
    new ConvTranspose2d(2 * c, c, 4, { ...down, bias: false }), new BatchNorm2d(c), new ReLU(),
    new ConvTranspose2d(c, 1, 4, down), new Tanh(),
  );
}

/** Dl: latent [N,d,1,1] -> one logit per sample, [N,1]. */
export class LatentDiscriminator extends nn.Module {
  readonly body: nn.Sequential;
  constructor(d: number) {
    super();
    const widths = [d, 128, 64, 32, 16];
    const layers: nn.Module[] = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      layers.push(new Linear(widths[i], widths[i + 1]), new BatchNorm1d(widths[i + 1]), new ReLU());
    }
    layers.push(new Linear(16, 1));
    this.body = this.registerModule("body", new Sequential(...layers));
  }
  forward(z: Tensor): Tensor {
    return this.body.forward(F.flatten(z, 1));
  }
}

/** Dv and Cl: image [N,1,32,32] -> one logit per sample, [N,1,1,1]. */
export function imageCritic(c: number): nn.Sequential {
  return new Sequential(...downsampler(c), new Conv2d(4 * c, 1, 4));
}

export interface Networks {
  En: nn.Sequential;
  De: nn.Sequential;
  Dl: LatentDiscriminator;
  Dv: nn.Sequential;
  Cl: nn.Sequential;
}

/** All five networks, initialised as the paper does: weights N(0, 0.02), BN gamma N(1, 0.02), biases 0. */
export function buildNetworks(config: OcganConfig): Networks {
  const nets: Networks = {
    En: encoder(config.base, config.latent),
    De: decoder(config.base, config.latent),
    Dl: new LatentDiscriminator(config.latent),
    Dv: imageCritic(config.visualBase),
    Cl: imageCritic(config.base),
  };
  for (const net of Object.values(nets) as nn.Module[]) {
    for (const [, m] of net.namedModules()) {
      if (m instanceof nn.BatchNorm) {
        nn.init.normal_(m.weight, 1, 0.02);
        nn.init.constant_(m.bias, 0);
      } else if (m instanceof Conv2d || m instanceof ConvTranspose2d || m instanceof Linear) {
        nn.init.normal_(m.weight, 0, 0.02);
        if (m.bias) nn.init.constant_(m.bias, 0);
      }
    }
  }
  return nets;
}

export function disposeNetworks(nets: Networks): void {
  for (const net of Object.values(nets) as nn.Module[]) net.dispose();
}
