// The latent explorer: one slider per latent dimension, decoded live with De
// (eval mode), the classifier's in-class score of the image when the model has
// one, and a sweep of two chosen dimensions over [-1, 1] with the others held
// where the sliders are. OCGAN's claim is that every point of its bounded
// latent space decodes to the chosen digit; a plain auto-encoder's does not.
// Decodes are coalesced: while one is on the GPU, later slider moves only mark
// the view stale, and one more decode runs when it returns.
import { fromData, noGrad, type Tensor } from "../src/autograd/tensor.js";
import { scope } from "../src/autograd/scope.js";
import { concat, reshape, sigmoid } from "../src/ops/functional.js";
import type { OcganModel } from "../src/ocgan/step.js";
import { html, num } from "./dom.js";
import { paintGrid } from "./grids.js";
import { inEvalMode } from "./figures.js";

const SWEEP = 7;

export interface ExplorerElements {
  sliders: HTMLElement;
  image: HTMLCanvasElement;
  score: HTMLElement;
  sweep: HTMLCanvasElement;
  dimA: HTMLSelectElement;
  dimB: HTMLSelectElement;
  randomPoint: HTMLButtonElement;
  walk: HTMLButtonElement;
  zero: HTMLButtonElement;
  note: HTMLElement;
}

export class LatentExplorer {
  private model: OcganModel | null = null;
  private z = new Float32Array(0);
  private inputs: HTMLInputElement[] = [];
  private busy = false;
  private stale = false;
  private walking = false;
  private velocity = new Float32Array(0);
  /** Decodes run so far (tests read it from data-decodes). */
  decodes = 0;

  constructor(private readonly el: ExplorerElements, private readonly onError: (error: unknown) => void) {
    el.randomPoint.addEventListener("click", () => {
      for (let i = 0; i < this.z.length; i++) this.z[i] = Math.random() * 2 - 1;
      this.syncSliders();
      this.request();
    });
    el.zero.addEventListener("click", () => {
      this.z.fill(0);
      this.syncSliders();
      this.request();
    });
    el.walk.addEventListener("click", () => this.setWalking(!this.walking));
    el.dimA.addEventListener("change", () => this.request());
    el.dimB.addEventListener("change", () => this.request());
  }

  /** Shows `model` (null: none yet); rebuilds the sliders when the latent size changes. */
  setModel(model: OcganModel | null, description = ""): void {
    this.model = model;
    const d = model?.config.latent ?? 0;
    this.el.note.textContent = model ? description : "Train a model or load a checkpoint to explore its latent space.";
    for (const b of [this.el.randomPoint, this.el.walk, this.el.zero]) b.disabled = !model;
    if (!model) this.setWalking(false);
    if (d !== this.z.length) {
      this.z = new Float32Array(d);
      this.velocity = new Float32Array(d);
      this.inputs = [];
      this.el.sliders.replaceChildren();
      for (let i = 0; i < d; i++) {
        const input = html("input", { type: "range", min: -1, max: 1, step: 0.01, value: 0, "aria-label": `latent dimension ${i + 1}`, "data-dim": i });
        const value = html("output", {}, "0.00");
        input.addEventListener("input", () => {
          this.z[i] = Number(input.value);
          value.textContent = this.z[i].toFixed(2);
          this.request();
        });
        this.inputs.push(input);
        this.el.sliders.append(html("label", { class: "slider" }, html("span", {}, `z${i + 1}`), input, value));
      }
      for (const select of [this.el.dimA, this.el.dimB]) {
        select.replaceChildren(...Array.from({ length: d }, (_, i) => html("option", { value: i }, `z${i + 1}`)));
      }
      this.el.dimA.value = "0";
      this.el.dimB.value = d > 1 ? "1" : "0";
    }
    this.request();
  }

  private syncSliders(): void {
    this.inputs.forEach((input, i) => {
      input.value = String(this.z[i]);
      (input.nextElementSibling as HTMLOutputElement).textContent = this.z[i].toFixed(2);
    });
  }

  private setWalking(on: boolean): void {
    this.walking = on && this.model !== null;
    this.el.walk.textContent = this.walking ? "Stop the walk" : "Random walk";
    this.el.walk.setAttribute("aria-pressed", String(this.walking));
    if (this.walking) this.request();
  }

  /** One step of a smooth random walk, bouncing off the edges of [-1, 1]^d. */
  private walkStep(): void {
    for (let i = 0; i < this.z.length; i++) {
      this.velocity[i] = 0.85 * this.velocity[i] + 0.05 * (Math.random() * 2 - 1);
      let v = this.z[i] + this.velocity[i];
      if (v > 1 || v < -1) {
        this.velocity[i] = -this.velocity[i];
        v = Math.max(-1, Math.min(1, v));
      }
      this.z[i] = v;
    }
    this.syncSliders();
  }

  /** Asks for a decode of the current point; coalesced while one is running. */
  request(): void {
    if (this.busy) {
      this.stale = true;
      return;
    }
    void this.decode();
  }

  private async decode(): Promise<void> {
    const model = this.model;
    if (!model) return;
    this.busy = true;
    this.stale = false;
    try {
      const d = model.config.latent;
      const a = Number(this.el.dimA.value) || 0;
      const b = Number(this.el.dimB.value) || 0;
      // The point itself, then a SWEEP x SWEEP grid over dimensions a (across) and b (down).
      const batch = 1 + SWEEP * SWEEP;
      const latents = new Float32Array(batch * d);
      latents.set(this.z, 0);
      for (let row = 0; row < SWEEP; row++) {
        for (let col = 0; col < SWEEP; col++) {
          const k = 1 + row * SWEEP + col;
          latents.set(this.z, k * d);
          latents[k * d + a] = -1 + (2 * col) / (SWEEP - 1);
          latents[k * d + b] = -1 + (2 * row) / (SWEEP - 1);
        }
      }
      const { De, Cl } = model.nets;
      const withClassifier = model.config.classifier;
      const out: Tensor = inEvalMode([De, Cl], () =>
        scope(() =>
          noGrad(() => {
            const images = De.forward(fromData(latents, [batch, d, 1, 1]));
            const parts = [reshape(images, [images.size])];
            if (withClassifier) {
              const scores = sigmoid(Cl.forward(images));
              parts.push(reshape(scores, [scores.size]));
            }
            return concat(parts, 0);
          }),
        ),
      );
      const values = await out.toArray();
      out.dispose();
      if (model !== this.model) return; // replaced while decoding
      const px = 32 * 32;
      paintGrid(this.el.image, values.subarray(0, px), 1, 1, 6);
      paintGrid(this.el.sweep, values.subarray(px, batch * px), SWEEP * SWEEP, SWEEP, 2);
      this.el.score.textContent = withClassifier
        ? `classifier Cl: ${num(values[batch * px])} in-class (1 = looks like a training digit, 0 = generated)`
        : "this model has no classifier (only OCGAN trains one)";
      this.decodes++;
      this.el.image.dataset.decodes = String(this.decodes);
    } catch (error) {
      this.setWalking(false);
      this.onError(error);
    } finally {
      this.busy = false;
    }
    if (this.walking) {
      requestAnimationFrame(() => {
        if (!this.walking) return;
        this.walkStep();
        this.request();
      });
    } else if (this.stale) {
      this.request();
    }
  }
}
