// A node:test reporter printing the same lines as the WebGPU test runners
// ("ok   name (N ms)", "FAIL name (N ms)" and the error indented below), so
// test/run.mjs can count them into its closing "N passed, N failed".
// Tests left out by --test-name-pattern print nothing. A test's own output
// goes to stderr.
//   node --test --test-reporter=./test/system/reporter.mjs test/system/*.test.mjs

function errorText(error) {
  // node:test wraps a test's error in ERR_TEST_FAILURE; the cause is the test's own.
  const e = error?.cause ?? error;
  const text = e instanceof Error ? `${e.message}` : String(e);
  return text.split("\n").slice(0, 12).join("\n     ");
}

export default async function* reporter(source) {
  for await (const event of source) {
    const { type, data } = event;
    if (type === "test:stdout" || type === "test:stderr") {
      process.stderr.write(data.message);
    } else if ((type === "test:pass" || type === "test:fail") && data.nesting === 0 && !data.skip && !data.todo) {
      const ms = Math.round(data.details?.duration_ms ?? 0);
      if (type === "test:pass") yield `ok   ${data.name} (${ms} ms)\n`;
      else yield `FAIL ${data.name} (${ms} ms)\n     ${errorText(data.details?.error)}\n`;
    }
  }
}
