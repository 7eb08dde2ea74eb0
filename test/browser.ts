// Entry of the test bundle: registers every test file and exposes the runner to Playwright.
import { runTests, type TestResult } from "./harness.js";
import "./runtime.test.js";
import "./activation.test.js";
import "./matmul.test.js";
import "./batchnorm.test.js";
import "./loss.test.js";
import "./autograd.test.js";
import "./nn.test.js";
import "./ocgan.test.js";
import "./args.test.js";
import "./auc.test.js";
import "./data.test.js";
import "./png.test.js";
import "./safetensors.test.js";
import "./reduce.test.js";
import "./arithmetic.test.js";
import "./shape.test.js";
import "./conv.test.js";

declare global {
  interface Window {
    __runTests(filter: string): Promise<TestResult[]>;
    __report(result: TestResult): Promise<void>;
  }
}

window.__runTests = (filter) => runTests(filter, (r) => void window.__report(r));
