// Area under the ROC curve, exactly, and the curve itself for plotting.
//
// Convention (spec, "Novelty score and model selection"): in-class images are
// the positives, and the ranking score says "higher = more in-class". OCGAN's
// novelty score is the reverse (higher = more novel), so callers pass
// -noveltyScore.
//
// The AUC is computed as the Mann–Whitney statistic: the probability that a
// random positive outranks a random negative, a tie counting 1/2. With midranks
// (tied scores share the mean of the ranks they occupy) this is
//   AUC = (sum of positive ranks - P (P + 1) / 2) / (P N),
// one sort, O(n log n). It equals the trapezoidal area under the ROC curve
// below, where a group of tied scores is one diagonal step.

export type BinaryLabels = ArrayLike<number> | ArrayLike<boolean>;

/** Checks the inputs and returns the labels as 0/1 and the counts of each. */
function checkInputs(labels: BinaryLabels, scores: ArrayLike<number>, what: string) {
  if (labels.length !== scores.length) {
    throw new Error(`${what}: ${labels.length} labels but ${scores.length} scores`);
  }
  const positive = new Uint8Array(labels.length);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === true || l === 1) positive[i] = 1;
    else if (!(l === false || l === 0)) throw new Error(`${what}: label ${i} is ${String(l)}; labels must be 0/1 or booleans`);
    positives += positive[i];
    if (Number.isNaN(scores[i])) throw new Error(`${what}: score ${i} is NaN; cannot rank it`);
  }
  const negatives = labels.length - positives;
  if (positives === 0) throw new Error(`${what}: no positive (in-class) samples; AUC is undefined`);
  if (negatives === 0) throw new Error(`${what}: no negative (out-of-class) samples; AUC is undefined`);
  return { positive, positives, negatives };
}

/** Indices 0..n-1 sorted by score, ascending (±Infinity sort to the ends). */
function orderByScore(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[a] - scores[b] || 0);
}

/**
 * Exact ROC AUC with ties counted as 1/2.
 * @param labels 1 (or true) for in-class, 0 (or false) for out-of-class.
 * @param scores higher = more in-class (pass -noveltyScore).
 * @throws when the lengths differ, a score is NaN, a label is not binary, or
 *   there are no positives or no negatives.
 */
export function rocAuc(labels: BinaryLabels, scores: ArrayLike<number>): number {
  const { positive, positives, negatives } = checkInputs(labels, scores, "rocAuc");
  const order = orderByScore(scores);
  // Walk groups of equal scores; every member of a group gets the group's
  // midrank (ranks are 1-based).
  let positiveRankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && scores[order[end]] === scores[order[start]]) end++;
    const midrank = (start + 1 + end) / 2;
    let groupPositives = 0;
    for (let k = start; k < end; k++) groupPositives += positive[order[k]];
    positiveRankSum += groupPositives * midrank;
    start = end;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface RocCurve {
  /** False-positive rates, from 0 to 1, non-decreasing. */
  fpr: number[];
  /** True-positive rates, from 0 to 1, non-decreasing. */
  tpr: number[];
  /**
   * thresholds[i] is the score at or above which samples count as positive to
   * give point i; the first point (0, 0) has +Infinity (nothing is accepted).
   */
  thresholds: number[];
}

/**
 * The ROC curve: one point per distinct score, from (0, 0) to (1, 1), in
 * order of decreasing threshold. Its trapezoidal area equals rocAuc().
 */
export function rocCurve(labels: BinaryLabels, scores: ArrayLike<number>): RocCurve {
  const { positive, positives, negatives } = checkInputs(labels, scores, "rocCurve");
  const order = orderByScore(scores);
  const curve: RocCurve = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  let truePositives = 0;
  let falsePositives = 0;
  // Lower the threshold one distinct score at a time, from the highest.
  for (let end = order.length; end > 0; ) {
    let start = end - 1;
    while (start > 0 && scores[order[start - 1]] === scores[order[end - 1]]) start--;
    for (let k = start; k < end; k++) {
      if (positive[order[k]]) truePositives++;
      else falsePositives++;
    }
    curve.fpr.push(falsePositives / negatives);
    curve.tpr.push(truePositives / positives);
    curve.thresholds.push(scores[order[start]]);
    end = start;
  }
  return curve;
}

/** Trapezoidal area under a curve given by its points (for checking a RocCurve). */
export function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return area;
}
