// Evaluation as the spec describes it: novelty scores of every test pool,
// ROC AUC under Protocol 1 and Protocol 2 (in-class positive, ranked by
// -score), and the mean reconstruction error on each of the ten digits.
import { rocAuc, rocCurve, type RocCurve } from "./auc.js";
import { protocol1, protocol2, splitDigit, toModelInput, type MnistDataset, type EvalSet } from "./data.js";
import { noveltyScores } from "./score.js";
import type { OcganModel } from "./step.js";

export interface ProtocolResult {
  auc: number;
  positives: number;
  negatives: number;
  roc: RocCurve;
}

export interface Evaluation {
  protocol1: ProtocolResult;
  protocol2: ProtocolResult;
  /** Mean novelty score (reconstruction MSE) of each digit's test pool, digits 0-9. */
  perDigitMse: number[];
}

function score(set: EvalSet, scoreOf: Map<number, number>): ProtocolResult {
  const ranking = set.indices.map((i) => -scoreOf.get(i)!);
  return { auc: rocAuc(set.labels, ranking), positives: set.positives, negatives: set.negatives, roc: rocCurve(set.labels, ranking) };
}

/** Scores every test image once, then reads both protocols and the per-digit table off those scores. */
export async function evaluate(model: OcganModel, dataset: MnistDataset, digit: number, protocolSeed: number): Promise<Evaluation> {
  const p2 = protocol2(dataset, digit);
  const scores = await noveltyScores(model.nets.En, model.nets.De, toModelInput(dataset.images, p2.indices));
  const scoreOf = new Map<number, number>();
  p2.indices.forEach((index, k) => scoreOf.set(index, scores[k]));
  const perDigitMse = Array.from({ length: 10 }, (_, d) => {
    const pool = splitDigit(dataset, d).test;
    return pool.reduce((s, i) => s + scoreOf.get(i)!, 0) / pool.length;
  });
  return { protocol1: score(protocol1(dataset, digit, protocolSeed), scoreOf), protocol2: score(p2, scoreOf), perDigitMse };
}
