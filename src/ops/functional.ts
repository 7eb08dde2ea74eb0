// The `F` namespace: every differentiable op, as in torch.nn.functional.
export { tanh, sigmoid, relu, leakyRelu, clamp } from "./activation.js";
