// Finds a WebGPU-capable Chromium for Playwright and launches it with the flags
// that give a WebGPU adapter headless (SwiftShader where there is no GPU).
// Playwright's own browser download is not used: point CHROMIUM_PATH at a
// Chromium, or let this install Debian's `chromium` package when run as root.
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-dev-shm-usage",
];

export function findChromium({ install = true } = {}) {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (install && isRoot && existsSync("/usr/bin/apt-get")) {
    console.error("No Chromium found: installing Debian's 'chromium' package (apt-get install chromium)...");
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    const installed = CANDIDATES.find((p) => existsSync(p));
    if (installed) return installed;
  }
  throw new Error(
    "No Chromium found. Install one with WebGPU support, e.g. on Debian: `sudo apt-get install chromium`, " +
      "or set CHROMIUM_PATH=/path/to/chrome. (Playwright's own browser download is not needed.)",
  );
}

/**
 * More flags from CHROMIUM_EXTRA_FLAGS (split at spaces), for a real GPU:
 * headless Chromium on Linux reaches it through Vulkan with, for example,
 * "--use-angle=vulkan --disable-vulkan-surface" (README, Benchmarks).
 */
export function chromiumFlags() {
  const extra = (process.env.CHROMIUM_EXTRA_FLAGS ?? "").split(/\s+/).filter(Boolean);
  const bad = extra.find((flag) => !flag.startsWith("--"));
  if (bad) throw new Error(`CHROMIUM_EXTRA_FLAGS: ${JSON.stringify(bad)} is not a --flag`);
  return [...CHROMIUM_FLAGS, ...extra];
}

/** `options`: more of Playwright's launch options (npm start handles the signals itself: handleSIGINT false, ...). */
export async function launchChromium(options = {}) {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: findChromium(), headless: true, args: chromiumFlags(), ...options });
}
