// WebGPU in Node: Dawn's Node binding (the `webgpu` npm package) gives the
// `GPU` object that the engine's init({ gpu }) takes, so tests, training and
// benchmarks can run in-process without a browser.
//
// Dawn's Linux backend is Vulkan. Which Vulkan driver it gets:
//   1. VK_ICD_FILENAMES / VK_DRIVER_FILES, when set, are honoured as they are.
//   2. Otherwise the system's own drivers (a GPU's ICD under
//      /usr/share/vulkan/icd.d or /etc/vulkan/icd.d), when there are any
//      besides Mesa's lavapipe (which Dawn rejects).
//   3. Otherwise SwiftShader, the CPU Vulkan driver that Debian's `chromium`
//      package installs next to the browser (vk_swiftshader_icd.json): the
//      same adapter headless Chromium uses on a machine without a GPU.
// When the system has no Vulkan loader (libvulkan.so.1), the copy that
// Chromium ships beside its driver is loaded first.
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import os from "node:os";
import { promisify } from "node:util";
import { findChromium } from "./chromium.mjs";

const INSTALL_HINT =
  "Install Debian's chromium package (`sudo apt-get install chromium`: it ships SwiftShader's Vulkan driver, " +
  "vk_swiftshader_icd.json, and a Vulkan loader under /usr/lib/chromium), or a GPU's Vulkan driver with the " +
  "Vulkan loader (`sudo apt-get install libvulkan1` plus the vendor's driver), or point VK_ICD_FILENAMES at a " +
  "Vulkan driver's ICD json.";

/** Folders where a Chromium install keeps its SwiftShader Vulkan driver. */
function chromiumDirs() {
  const dirs = [];
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv && existsSync(fromEnv)) dirs.push(dirname(realpathSync(fromEnv)));
  for (const parent of ["/usr/lib", "/usr/lib64", "/usr/local/lib"]) {
    let names = [];
    try {
      names = readdirSync(parent).filter((n) => n.startsWith("chromium"));
    } catch {
      continue;
    }
    for (const n of names) dirs.push(join(parent, n));
  }
  dirs.push("/opt/google/chrome", "/snap/chromium/current/usr/lib/chromium-browser");
  for (const exe of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
    if (existsSync(exe)) dirs.push(dirname(realpathSync(exe)));
  }
  return [...new Set(dirs)];
}

/** Chromium's vk_swiftshader_icd.json, or null. */
export function findSwiftShaderIcd() {
  for (const dir of chromiumDirs()) {
    const json = join(dir, "vk_swiftshader_icd.json");
    if (existsSync(json)) return json;
  }
  return null;
}

/** The system's Vulkan driver manifests (ICD jsons), lavapipe excluded. */
function systemIcds() {
  const data = (process.env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":").filter(Boolean);
  const dirs = [...data.map((d) => join(d, "vulkan/icd.d")), "/etc/vulkan/icd.d", "/usr/share/vulkan/icd.d"];
  const found = [];
  for (const dir of new Set(dirs)) {
    let names = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(".json"));
    } catch {
      continue;
    }
    for (const n of names) if (!/^lvp_icd|lavapipe/i.test(n)) found.push(join(dir, n));
  }
  return found;
}

const LIB_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
  "/usr/lib64", "/usr/lib", "/usr/local/lib", "/lib64", "/lib"];

function hasSystemVulkanLoader() {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean), ...LIB_DIRS];
  return dirs.some((d) => existsSync(join(d, "libvulkan.so.1")));
}

/**
 * Loads a Vulkan loader library into the process so that Dawn's later
 * dlopen("libvulkan.so.1") finds it by its soname. process.dlopen is Node's
 * way to call dlopen; the library is not a Node addon, so it throws "did not
 * self-register", but RTLD_NODELETE keeps the library loaded regardless.
 */
function preloadVulkanLoader(path) {
  const RTLD_NODELETE = 0x1000; // glibc's value; os.constants.dlopen does not list it
  const { RTLD_NOW, RTLD_GLOBAL } = os.constants.dlopen;
  try {
    process.dlopen({ exports: {} }, path, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
  } catch {
    // expected: see above
  }
  try {
    return readFileSync("/proc/self/maps", "utf8").includes(path);
  } catch {
    return false;
  }
}

/**
 * Every GPU object handed out. Dawn's instance lives only as long as the
 * object create() returned is referenced, and collecting it while a device
 * made from it is still in use crashes the process from Dawn's threads: so
 * they are held here for the life of the process (which then has to end with
 * process.exit, as the package's README says).
 */
const keptAlive = [];

/**
 * Dawn for Node settles its promises (mapAsync, onSubmittedWorkDone,
 * createComputePipelineAsync) from a callback that it hands to the global
 * setImmediate and hands again after every run while any promise is pending.
 * So while the engine awaits the GPU, the main thread spins on a whole core;
 * on a CPU adapter (SwiftShader) that core is taken from the driver's worker
 * threads, and every kernel ran at about 60% of its speed in Chromium.
 * Callbacks that come from native code (Dawn's are the only ones in this
 * process) run from a 1 ms timer instead: the thread sleeps in between, and a
 * promise settles at most about a millisecond after the GPU is done.
 * Callbacks written in JavaScript keep setImmediate as it was.
 */
const NATIVE_POLL_MS = 1;
function throttleNativeImmediates() {
  const original = globalThis.setImmediate;
  if (original.throttlesNativeCallbacks) return;
  const isNative = (fn) => typeof fn === "function" && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
  const throttled = function setImmediate(callback, ...args) {
    return isNative(callback) ? setTimeout(callback, NATIVE_POLL_MS, ...args) : original(callback, ...args);
  };
  throttled.throttlesNativeCallbacks = true;
  throttled[promisify.custom] = original[promisify.custom];
  globalThis.setImmediate = throttled;
}

function summarize(info) {
  return {
    vendor: info?.vendor ?? "",
    architecture: info?.architecture ?? "",
    device: info?.device ?? "",
    description: info?.description ?? "",
  };
}

export function describeAdapter(info) {
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ") || "unknown adapter";
}

/**
 * Creates Dawn's `GPU` object for this process, choosing the Vulkan driver as
 * described at the top of this file, and checks that it yields an adapter.
 * Also installs the WebGPU globals (GPUBufferUsage, GPUMapMode, ...) that
 * engine code reads, where the host lacks them.
 * @returns {Promise<{ gpu: GPU, info: {vendor: string, architecture: string, device: string, description: string}, description: string, driver: string }>}
 * @throws Error naming what was tried and what to install when no adapter is found.
 */
export async function createNodeGpu({ log = (line) => process.stderr.write(`${line}\n`), powerPreference = "high-performance" } = {}) {
  let webgpu;
  try {
    webgpu = await import("webgpu");
  } catch (error) {
    throw new Error(`the 'webgpu' package (Dawn for Node) could not be loaded (${error.message}); run \`npm install\``);
  }
  const { create, globals } = webgpu;
  throttleNativeImmediates();
  for (const [name, value] of Object.entries(globals)) if (!(name in globalThis)) globalThis[name] = value;

  const attempts = [];
  const tried = [];
  const userIcd = process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES;
  if (process.platform !== "linux") {
    attempts.push({ driver: "the system's default backend" });
  } else if (userIcd) {
    attempts.push({ driver: `the Vulkan driver given by ${process.env.VK_DRIVER_FILES ? "VK_DRIVER_FILES" : "VK_ICD_FILENAMES"}=${userIcd}` });
  } else {
    const icds = systemIcds();
    if (icds.length && hasSystemVulkanLoader()) attempts.push({ driver: `the system's Vulkan drivers (${icds.join(", ")})` });
    let swiftshader = findSwiftShaderIcd();
    if (!swiftshader) {
      try {
        findChromium(); // installs Debian's chromium when run as root without one
      } catch {
        // reported below with the rest
      }
      swiftshader = findSwiftShaderIcd();
    }
    if (swiftshader) attempts.push({ driver: `SwiftShader (${swiftshader})`, icd: swiftshader });
    else tried.push("SwiftShader: no vk_swiftshader_icd.json under /usr/lib/chromium* or next to CHROMIUM_PATH");
  }

  // Without a system Vulkan loader, Dawn's dlopen("libvulkan.so.1") needs Chromium's copy loaded first.
  let loaderProblem = null;
  if (process.platform === "linux" && attempts.length && !hasSystemVulkanLoader()) {
    const dir = chromiumDirs().find((d) => existsSync(join(d, "libvulkan.so.1")));
    if (!dir) loaderProblem = "no Vulkan loader (libvulkan.so.1) on the system, nor one next to a Chromium";
    else if (!preloadVulkanLoader(join(dir, "libvulkan.so.1"))) loaderProblem = `${join(dir, "libvulkan.so.1")} did not load`;
  }

  for (const attempt of attempts) {
    if (loaderProblem) {
      tried.push(`${attempt.driver}: ${loaderProblem}`);
      continue;
    }
    if (attempt.icd) process.env.VK_ICD_FILENAMES = attempt.icd;
    let adapter = null;
    let gpu;
    try {
      gpu = create([]);
      adapter = await gpu.requestAdapter({ powerPreference });
    } catch (error) {
      tried.push(`${attempt.driver}: ${error.message}`);
      continue;
    }
    if (!adapter) {
      tried.push(`${attempt.driver}: requestAdapter() returned null`);
      if (attempt.icd) delete process.env.VK_ICD_FILENAMES;
      continue;
    }
    keptAlive.push(gpu);
    const info = summarize(adapter.info);
    const description = describeAdapter(info);
    log(`webgpu (Dawn for Node): adapter ${description} (${info.device || "no device name"}), driver: ${attempt.driver}`);
    return { gpu, info, description, driver: attempt.driver };
  }
  throw new Error(`Dawn for Node found no WebGPU adapter.\n  tried:\n    ${tried.join("\n    ") || "nothing"}\n  ${INSTALL_HINT}`);
}
