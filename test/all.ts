// Every test file, registered in order. Both entries import this list: the page
// (test/browser.ts, Chromium) and Node (test/node.ts, Dawn), so they run the same set.
import "./runtime.test.js";
import "./activation.test.js";
import "./matmul.test.js";
import "./batchnorm.test.js";
import "./loss.test.js";
import "./autograd.test.js";
import "./nn.test.js";
import "./ocgan.test.js";
import "./args.test.js";
import "./app-state.test.js";
import "./auc.test.js";
import "./data.test.js";
import "./png.test.js";
import "./plot.test.js";
import "./safetensors.test.js";
import "./reduce.test.js";
import "./arithmetic.test.js";
import "./shape.test.js";
import "./conv.test.js";
import "./reliability.test.js";
