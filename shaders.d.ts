// esbuild loads shaders/*.wgsl as text (see build.mjs).
declare module "*.wgsl" {
  const source: string;
  export default source;
}
