import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The samples import the package by its public names, as a user's driver would.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^ntshm\/wdm$/, replacement: here('./src/api/wdm.ts') },
      { find: /^ntshm\/win32$/, replacement: here('./src/api/win32.ts') },
      { find: /^ntshm\/samples$/, replacement: here('./samples/registry.ts') },
      { find: /^ntshm\/testing$/, replacement: here('./src/testing.ts') },
      { find: /^ntshm$/, replacement: here('./src/index.ts') },
    ],
  },
  test: { include: ['test/**/*.test.ts', 'examples/**/*.test.ts'], testTimeout: 30000 },
});
