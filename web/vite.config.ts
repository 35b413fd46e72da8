/**
 * The web page (`ntshm ui`): built into dist/web. Served cross-origin
 * isolated (COOP + COEP), since the machine's physical memory is a
 * SharedArrayBuffer. The page imports the package by its public names, as
 * the samples do.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The headers that make a page cross-origin isolated, so that SharedArrayBuffer exists in it. */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: here('.'),
  base: './',
  resolve: {
    alias: [
      { find: /^ntshm\/wdm$/, replacement: here('../src/api/wdm.ts') },
      { find: /^ntshm\/win32$/, replacement: here('../src/api/win32.ts') },
      { find: /^ntshm\/samples$/, replacement: here('../samples/registry.ts') },
      { find: /^ntshm$/, replacement: here('../src/index.ts') },
    ],
  },
  // Bug check stacks, findings and the trace name a driver's routines by their function names
  // (SharingMemory!TimerRoutine): the minifier must not rename them to one letter.
  worker: { format: 'es', rolldownOptions: { output: { keepNames: true } } },
  build: { outDir: here('../dist/web'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096, rolldownOptions: { output: { keepNames: true } } },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
});
