// The computation graph of one generator step, as the engine recorded it.
//
// captureGraph() walks the tape from the generator's total loss before its
// backward() runs (OcganModel.onGeneratorLoss calls it there): every Tensor
// holds the op that made it, its inputs and whether it requires a gradient.
// The walk follows every input, also those that need no gradient (the batch,
// frozen discriminator weights), so one sees where backward stops. The order in
// which backward() visits the nodes is the engine's own topologicalOrder(),
// reversed. The result is plain data: no tensor is kept.
//
// drawGraph() lays the nodes out by depth (inputs at the top, the loss at the
// bottom), orders each row by the mean position of its neighbours to keep
// edges short, and draws SVG: grey arrows carry values forward; red edges are
// those a gradient flows back along, from the loss up to the trainable weights.
import { topologicalOrder, type Tensor } from "../src/autograd/tensor.js";
import { OPS, opOf, type OpInfo, type OpName, type TensorName } from "../src/autograd/op-table.js";
import { svg, svgText } from "./dom.js";

export type NodeKind = "op" | "parameter" | "input";

export interface GraphNode {
  id: number;
  /** The name the tape gave the tensor (op-table.ts). */
  op: TensorName;
  /** What its op is, from the table of ops. */
  opInfo: OpInfo;
  /** The op, or a parameter's name (En.0.weight). */
  label: string;
  shape: number[];
  requiresGrad: boolean;
  kind: NodeKind;
  /** En, De, Dl, Dv, Cl, "loss", or null for inputs. */
  net: string | null;
  inputs: number[];
  consumers: number[];
  /** 1 = the loss; the k-th node backward() handles. Null when no gradient reaches it. */
  backwardStep: number | null;
  /** How many edges send it a gradient (they are summed when more than one). */
  gradPaths: number;
}

export interface GraphSnapshot {
  nodes: GraphNode[];
  rootId: number;
  backwardSteps: number;
  /** What the graph is of, e.g. "OCGAN generator step, preset tiny, batch 16". */
  title: string;
}

/**
 * What the generator step's data inputs are, by the op that made them outside
 * the tape (src/ocgan/step.ts): the batch is uploaded, its noisy copy is an
 * add, and the latents l come from mining (clamp) or, in the warm-up, straight
 * from rand.
 */
const INPUT_NAMES: Partial<Record<OpName, string>> = {
  leaf: "x (the batch)",
  add: "x + n (noisy batch)",
  clamp: "l (mined latents)",
  rand: "u (random latents)",
};

/** Snapshot of the graph behind `root`, walked before backward() frees it. `names` names the parameters. */
export function captureGraph(root: Tensor, names: Map<Tensor, string>, title: string): GraphSnapshot {
  // Post-order DFS over every input (inputs before the tensors made from them).
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    if (next < t.inputs.length) {
      top[1]++;
      const input = t.inputs[next];
      if (!seen.has(input)) {
        seen.add(input);
        stack.push([input, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  const backward = topologicalOrder(root);
  const stepOf = new Map<Tensor, number>();
  backward.forEach((t, i) => stepOf.set(t, backward.length - i));

  const nodes = new Map<Tensor, GraphNode>();
  for (const t of order) {
    const name = names.get(t);
    const kind: NodeKind = name ? "parameter" : t.inputs.length === 0 ? "input" : "op";
    let net: string | null = name ? name.split(".")[0] : null;
    if (kind === "op") {
      const paramNet = t.inputs.map((i) => names.get(i)?.split(".")[0]).find(Boolean);
      const inputNets = t.inputs.map((i) => nodes.get(i)!.net);
      const isLoss = OPS[opOf(t.op)].category === "loss";
      net = paramNet ?? (isLoss || inputNets.includes("loss") ? "loss" : inputNets.find((n) => n !== null) ?? null);
    }
    nodes.set(t, {
      id: t.id,
      op: t.op,
      opInfo: OPS[opOf(t.op)],
      label: name ?? (kind === "input" ? INPUT_NAMES[opOf(t.op)] ?? t.op : t.op),
      shape: [...t.shape],
      requiresGrad: t.requiresGrad,
      kind,
      net,
      inputs: t.inputs.map((i) => i.id),
      consumers: [],
      backwardStep: stepOf.get(t) ?? null,
      gradPaths: 0,
    });
  }
  for (const t of order) {
    for (const input of t.inputs) {
      const node = nodes.get(input)!;
      node.consumers.push(t.id);
      if (input.requiresGrad && t.requiresGrad) node.gradPaths++;
    }
  }
  return { nodes: [...nodes.values()], rootId: root.id, backwardSteps: backward.length, title };
}

export const NET_COLORS: Record<string, string> = {
  En: "#1f77b4", De: "#2ca02c", Dl: "#9467bd", Dv: "#8c564b", Cl: "#e377c2", loss: "#d62728",
};

interface Placed {
  node: GraphNode;
  depth: number;
  x: number;
  y: number;
}

const NODE_W = 136;
const NODE_H = 34;
const COL = 150;
const ROW = 66;

/** Depth by longest path from the inputs; leaves sit one row above their first consumer. */
function layout(snapshot: GraphSnapshot): { placed: Map<number, Placed>; width: number; height: number } {
  const byId = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const depth = new Map<number, number>();
  for (const n of snapshot.nodes) {
    // Nodes come inputs-first, so every op's inputs already have a depth.
    if (n.kind === "op") depth.set(n.id, 1 + Math.max(0, ...n.inputs.map((i) => (byId.get(i)!.kind === "op" ? depth.get(i)! : 0))));
  }
  for (const n of snapshot.nodes) {
    if (n.kind !== "op") depth.set(n.id, n.consumers.length ? Math.min(...n.consumers.map((c) => depth.get(c)!)) - 1 : 0);
  }
  const rows: GraphNode[][] = [];
  for (const n of snapshot.nodes) (rows[depth.get(n.id)!] ??= []).push(n);
  for (let r = 0; r < rows.length; r++) rows[r] ??= [];
  const widest = Math.max(...rows.map((r) => r.length));
  const width = widest * COL + 40;
  const pos = new Map<number, number>();
  const spread = (row: GraphNode[]) => row.forEach((n, i) => pos.set(n.id, width / 2 + (i - (row.length - 1) / 2) * COL));
  rows.forEach(spread);
  // Barycentre sweeps: order each row by the mean position of its neighbours in the row above (down) or below (up).
  const mean = (ids: number[], fallback: number) => (ids.length ? ids.reduce((s, i) => s + pos.get(i)!, 0) / ids.length : fallback);
  for (let sweep = 0; sweep < 6; sweep++) {
    const down = sweep % 2 === 0;
    const indices = down ? rows.map((_, i) => i) : rows.map((_, i) => rows.length - 1 - i);
    for (const r of indices) {
      const row = rows[r];
      const key = new Map(row.map((n) => {
        const neighbours = down ? n.inputs : n.consumers;
        const other = down ? n.consumers : n.inputs;
        return [n.id, mean(neighbours.length ? neighbours : other, pos.get(n.id)!)];
      }));
      row.sort((a, b) => key.get(a.id)! - key.get(b.id)!);
      spread(row);
    }
  }
  const placed = new Map<number, Placed>();
  rows.forEach((row, r) => row.forEach((node) => placed.set(node.id, { node, depth: r, x: pos.get(node.id)!, y: 24 + r * ROW })));
  return { placed, width, height: rows.length * ROW + 40 };
}

const shapeText = (shape: number[]) => (shape.length ? `[${shape.join("×")}]` : "scalar");

/** One line per fact about a node, for the details panel. */
export function describeNode(snapshot: GraphSnapshot, node: GraphNode): string[] {
  const byId = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const lines = [`#${node.id} ${node.kind === "parameter" ? `parameter ${node.label}` : node.kind === "input" ? `input ${node.label}, made by ${node.op} (${node.opInfo.label}) outside the tape` : `op ${node.op} (${node.opInfo.label})`}, shape ${shapeText(node.shape)}`];
  if (node.net) lines.push(node.net === "loss" ? "part of the loss" : `belongs to network ${node.net}`);
  if (node.inputs.length) lines.push(`inputs: ${node.inputs.map((i) => { const n = byId.get(i)!; return `${n.label} ${shapeText(n.shape)}${n.requiresGrad ? "" : " (no grad)"}`; }).join(", ")}`);
  lines.push(`requiresGrad: ${node.requiresGrad}`);
  if (node.id === snapshot.rootId) {
    lines.push(`the loss: backward() starts here with d(loss)/d(loss) = 1 and visits ${snapshot.backwardSteps} tensors.`);
  } else if (node.backwardStep !== null) {
    lines.push(`backward() reaches it at step ${node.backwardStep} of ${snapshot.backwardSteps}; ` +
      (node.gradPaths > 1 ? `its gradient is the sum of ${node.gradPaths} paths (it feeds ${node.gradPaths} ops).` : "one path sends it its gradient."));
  }
  if (node.kind === "op" && node.requiresGrad) lines.push(`its backward rule (from the ${node.op} op) turns d(loss)/d(this) into the gradients of its inputs that need one.`);
  if (node.kind === "parameter") {
    lines.push(node.requiresGrad
      ? "trainable in this step: backward() leaves d(loss)/d(weight) in .grad and Adam updates it."
      : "frozen in this step (requiresGrad off): no weight gradient is computed; the gradient still flows through its op to the generator.");
  }
  if (node.kind === "input") lines.push("data, not a weight: nothing flows back into it.");
  return lines;
}

export interface GraphView {
  /** Lights up the nodes backward() has visited up to `step` (null: none lit). */
  showBackwardStep(step: number | null): void;
}

/** Draws the snapshot into `target`; clicking a node calls onSelect with it. */
export function drawGraph(target: SVGSVGElement, snapshot: GraphSnapshot, onSelect: (node: GraphNode) => void): GraphView {
  const { placed, width, height } = layout(snapshot);
  target.replaceChildren();
  target.setAttribute("viewBox", `0 0 ${width} ${height}`);
  target.setAttribute("width", String(width));
  target.setAttribute("height", String(height));
  const defs = svg("defs", {}, target);
  for (const [id, color] of [["arrow-forward", "#9a9a9a"], ["arrow-grad", "#d62728"]]) {
    const marker = svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    svg("path", { d: "M0,0 L10,5 L0,10 z", fill: color }, marker);
  }
  const edges = svg("g", { class: "edges" }, target);
  const nodesGroup = svg("g", { class: "nodes" }, target);
  const byTensor = new Map(snapshot.nodes.map((n) => [n.id, n]));
  for (const { node, x, y } of placed.values()) {
    for (const inputId of node.inputs) {
      const from = placed.get(inputId)!;
      const input = byTensor.get(inputId)!;
      const grad = input.requiresGrad && node.requiresGrad;
      const x1 = from.x;
      const y1 = from.y + NODE_H / 2;
      const x2 = x;
      const y2 = y - NODE_H / 2;
      const my = (y1 + y2) / 2;
      // Forward edges point at the consumer; gradient edges point back at the input.
      svg("path", {
        d: `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`,
        class: grad ? "edge grad" : "edge",
        "marker-end": grad ? undefined : "url(#arrow-forward)",
        "marker-start": grad ? "url(#arrow-grad)" : undefined,
        "data-from": inputId,
        "data-to": node.id,
      }, edges);
    }
  }
  const nodeElements = new Map<number, SVGGElement>();
  for (const { node, x, y } of placed.values()) {
    const classes = ["node", node.kind, node.requiresGrad ? "needs-grad" : "no-grad", node.id === snapshot.rootId ? "root" : ""].filter(Boolean);
    const g = svg("g", { class: classes.join(" "), transform: `translate(${x - NODE_W / 2},${y - NODE_H / 2})`, "data-id": node.id, tabindex: 0 }, nodesGroup);
    svg("rect", { width: NODE_W, height: NODE_H, rx: node.kind === "op" ? 4 : 12 }, g);
    if (node.net) svg("rect", { width: 5, height: NODE_H, fill: NET_COLORS[node.net] ?? "#777", class: "stripe" }, g);
    const label = node.label.length > 21 ? `…${node.label.slice(-20)}` : node.label;
    svgText(label, { x: NODE_W / 2 + 2, y: 14, "text-anchor": "middle", class: "op" }, g);
    svgText(`${shapeText(node.shape)}${node.requiresGrad ? " ∇" : ""}`, { x: NODE_W / 2 + 2, y: 27, "text-anchor": "middle", class: "shape" }, g);
    svg("title", {}, g).textContent = describeNode(snapshot, node).join("\n");
    const select = () => {
      for (const el of nodeElements.values()) el.classList.remove("selected");
      g.classList.add("selected");
      for (const e of Array.from(edges.querySelectorAll(".edge"))) {
        const on = e.getAttribute("data-from") === String(node.id) || e.getAttribute("data-to") === String(node.id);
        e.classList.toggle("related", on);
      }
      onSelect(node);
    };
    g.addEventListener("click", select);
    g.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") select();
    });
    nodeElements.set(node.id, g);
  }
  target.dataset.nodes = String(snapshot.nodes.length);
  target.dataset.edges = String(edges.childElementCount);
  return {
    showBackwardStep(step) {
      for (const [id, el] of nodeElements) {
        const s = byTensor.get(id)!.backwardStep;
        el.classList.toggle("visited", step !== null && s !== null && s <= step);
        el.classList.toggle("current", step !== null && s === step);
      }
    },
  };
}
