// Entry of the test bundle: registers every test file and exposes the runner to Playwright.
import { runTests, type TestResult } from "./harness.js";
import "./runtime.test.js";
import "./activation.test.js";

declare global {
  interface Window {
    __runTests(filter: string): Promise<TestResult[]>;
    __report(result: TestResult): Promise<void>;
  }
}

window.__runTests = (filter) => runTests(filter, (r) => void window.__report(r));
