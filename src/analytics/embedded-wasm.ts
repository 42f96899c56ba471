/**
 * Instances of the WebAssembly kernels embedded as base64 (`*-wasm.ts`, assembled from `.wat` files
 * by `npm run assemble:wasm`), and the growth of their memory. Kernels read only their own memory:
 * callers lay their inputs out in it.
 */

// The compiler's libraries here (no DOM) do not declare WebAssembly's JavaScript API: the part used.
export type WasmMemory = { readonly buffer: ArrayBuffer; grow(pages: number): number };
type WasmApi = {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WasmApi };

const PAGE_BYTES = 65536;

/** A new instance of the module in `base64`: its exported memory and functions. */
export function instantiateEmbedded(base64: string): { memory: WasmMemory; exports: Record<string, unknown> } {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const instance = new wasm.Instance(new wasm.Module(bytes), {});
  return { memory: instance.exports.memory as WasmMemory, exports: instance.exports };
}

/** Grows `memory` to at least `bytes` (views of its old buffer are detached when it grows). */
export function reserveWasmMemory(memory: WasmMemory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE_BYTES));
}

export const align8 = (n: number) => (n + 7) & ~7;
