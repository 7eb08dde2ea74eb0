// src/ocgan/auc.ts: hand-computed AUCs, ties as 1/2, the ROC curve, errors,
// and agreement with brute-force pair counting.
import { test, assert, assertClose, assertRejects } from "./harness.js";
import { mulberry32 } from "./random.js";
import { rocAuc, rocCurve, trapezoidArea } from "../src/ocgan/auc.js";

/** The definition: over all (positive, negative) pairs, 1 if the positive scores higher, 1/2 on a tie. */
function bruteForceAuc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

test("auc: perfect ranking is 1, inverted is 0, all ties are 0.5", () => {
  assert(rocAuc([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]) === 1, "perfect");
  assert(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) === 0, "inverted");
  assert(rocAuc([1, 0, 1, 0, 0], [3, 3, 3, 3, 3]) === 0.5, "all tied");
  assert(rocAuc([true, false], [2, 1]) === 1, "boolean labels");
});

test("auc: a mixed case with ties, computed by hand", () => {
  // Positives score 0.9, 0.5, 0.3; negatives 0.5, 0.3, 0.1. Pairs won:
  // 0.9 beats all three (3); 0.5 ties 0.5 and beats 0.3, 0.1 (2.5);
  // 0.3 loses to 0.5, ties 0.3, beats 0.1 (1.5). AUC = 7 / 9.
  const labels = [1, 1, 0, 1, 0, 0];
  const scores = [0.9, 0.5, 0.5, 0.3, 0.3, 0.1];
  assertClose([rocAuc(labels, scores)], [7 / 9], "AUC", 1e-15, 0);
  // The order of the samples does not matter.
  assertClose([rocAuc([0, 0, 1, 0, 1, 1], [0.1, 0.3, 0.3, 0.5, 0.5, 0.9])], [7 / 9], "AUC, permuted", 1e-15, 0);
});

test("auc: the ROC curve of the hand case, and its area equals the AUC", () => {
  const curve = rocCurve([1, 1, 0, 1, 0, 0], [0.9, 0.5, 0.5, 0.3, 0.3, 0.1]);
  assertClose(curve.fpr, [0, 0, 1 / 3, 2 / 3, 1], "fpr", 1e-15, 0);
  assertClose(curve.tpr, [0, 1 / 3, 2 / 3, 1, 1], "tpr", 1e-15, 0);
  assert(curve.thresholds.join() === [Infinity, 0.9, 0.5, 0.3, 0.1].join(), `thresholds ${curve.thresholds}`);
  assertClose([trapezoidArea(curve.fpr, curve.tpr)], [7 / 9], "area", 1e-15, 0);
});

test("auc: random data with many ties agrees with brute-force pair counting", () => {
  const random = mulberry32(99);
  for (let round = 0; round < 30; round++) {
    const n = 2 + Math.floor(random() * 200);
    const labels = Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
    labels[0] = 1;
    labels[1] = 0;
    // Scores on a coarse grid so that ties are common; ±Infinity now and then.
    const scores = Array.from({ length: n }, () => {
      const r = random();
      return r < 0.02 ? Infinity : r < 0.04 ? -Infinity : Math.round(random() * 10) / 10;
    });
    const expected = bruteForceAuc(labels, scores);
    assertClose([rocAuc(labels, scores)], [expected], `round ${round} AUC`, 1e-12, 0);
    const curve = rocCurve(labels, scores);
    assertClose([trapezoidArea(curve.fpr, curve.tpr)], [expected], `round ${round} curve area`, 1e-12, 0);
    assert(curve.fpr[curve.fpr.length - 1] === 1 && curve.tpr[curve.tpr.length - 1] === 1, "curve ends at (1, 1)");
  }
});

test("auc: 200,000 random samples give about 0.5", () => {
  const random = mulberry32(5);
  const n = 200_000;
  const labels = new Uint8Array(n).map(() => (random() < 0.1 ? 1 : 0));
  const scores = new Float64Array(n).map(() => random());
  const auc = rocAuc(labels, scores);
  assert(Math.abs(auc - 0.5) < 0.02, `random scores give about 0.5, got ${auc}`);
});

test("auc: errors for no positives, no negatives, mismatched lengths, NaN, non-binary labels", async () => {
  await assertRejects(() => rocAuc([0, 0], [1, 2]), /no positive/, "no positives");
  await assertRejects(() => rocAuc([1, 1], [1, 2]), /no negative/, "no negatives");
  await assertRejects(() => rocCurve([0, 0], [1, 2]), /no positive/, "curve: no positives");
  await assertRejects(() => rocAuc([], []), /no positive/, "empty");
  await assertRejects(() => rocAuc([1, 0], [1]), /2 labels but 1 scores/, "lengths");
  await assertRejects(() => rocAuc([1, 0], [NaN, 1]), /score 0 is NaN/, "NaN");
  await assertRejects(() => rocAuc([1, 2], [1, 2]), /label 1 is 2/, "label 2");
});
