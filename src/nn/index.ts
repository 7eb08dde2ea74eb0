export { Module } from "./module.js";
export { Conv2d, ConvTranspose2d, Linear, BatchNorm, BatchNorm1d, BatchNorm2d, Sequential, Lambda, Rectifier, ReLU, LeakyReLU, Tanh, Sigmoid, Flatten } from "./layers.js";
export * as init from "./init.js";
