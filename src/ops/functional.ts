// The `F` namespace: every differentiable op, as in torch.nn.functional.
import "./methods.js"; // and the common ones as Tensor methods (x.add(y)), wherever F is
export { tanh, sigmoid, relu, leakyRelu, clamp } from "./activation.js";
export { sum, mean } from "./reduce.js";
export { conv2d, convTranspose2d } from "./conv.js";
export { add, sub, mul, div, neg, square } from "./arithmetic.js";
export { reshape, flatten, pad, narrow, concat } from "./shape.js";
export { matmul, linear } from "./matmul.js";
export { batchNorm } from "./batchnorm.js";
export { mseLoss, bceWithLogits } from "./loss.js";
