// The common ops as Tensor methods, so that formulas read as in PyTorch:
// x.mul(w).add(b).tanh(), loss.backward(). Each method is the F function with
// the tensor as its first argument, nothing more. They are installed on
// Tensor.prototype here, when the ops load, and declared on Tensor by
// declaration merging: tensor.ts cannot define them itself, since the ops
// import it (that would be a circle of imports). functional.ts and the index
// import this module, so whatever can reach an op has the methods installed.
import { Tensor } from "../autograd/tensor.js";
import { tanh, sigmoid, relu, leakyRelu, clamp } from "./activation.js";
import { add, sub, mul, div, neg, square } from "./arithmetic.js";
import { sum, mean } from "./reduce.js";
import { reshape, flatten, narrow } from "./shape.js";
import { matmul } from "./matmul.js";

/** The method form of an op whose first argument is the tensor. */
type Method<Op> = Op extends (x: Tensor, ...rest: infer Rest) => Tensor ? (...rest: Rest) => Tensor : never;

const methods = { add, sub, mul, div, neg, square, matmul, sum, mean, reshape, flatten, narrow, tanh, sigmoid, relu, leakyRelu, clamp };

declare module "../autograd/tensor.js" {
  interface Tensor {
    add: Method<typeof add>;
    sub: Method<typeof sub>;
    mul: Method<typeof mul>;
    div: Method<typeof div>;
    neg: Method<typeof neg>;
    square: Method<typeof square>;
    matmul: Method<typeof matmul>;
    sum: Method<typeof sum>;
    mean: Method<typeof mean>;
    reshape: Method<typeof reshape>;
    flatten: Method<typeof flatten>;
    narrow: Method<typeof narrow>;
    tanh: Method<typeof tanh>;
    sigmoid: Method<typeof sigmoid>;
    relu: Method<typeof relu>;
    leakyRelu: Method<typeof leakyRelu>;
    clamp: Method<typeof clamp>;
  }
}

for (const [name, op] of Object.entries(methods) as [string, (x: Tensor, ...rest: unknown[]) => Tensor][]) {
  Object.defineProperty(Tensor.prototype, name, {
    value(this: Tensor, ...rest: unknown[]) {
      return op(this, ...rest);
    },
    writable: true,
    configurable: true,
  });
}
