// Entry of the test bundle for the page: registers every test file (test/all.ts) and exposes the runner to Playwright.
import { runTests, type TestResult } from "./harness.js";
import "./all.js";
import { runnerTrace, type RunnerTrace } from "./trace.js";

declare global {
  interface Window {
    __runTests(filter: string): Promise<TestResult[]>;
    __report(result: TestResult): Promise<void>;
    __trace(): Promise<RunnerTrace>;
  }
}

window.__runTests = (filter) => runTests(filter, (r) => void window.__report(r));
window.__trace = runnerTrace;
