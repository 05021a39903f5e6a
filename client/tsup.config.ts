/**
 * The package build (`npm run build`): ESM, CommonJS and declarations for each entry point.
 * Code the SDK shares with the server (wire-size helpers) is bundled in, so the package has no
 * runtime dependency; React stays the app's own (a peer dependency of `@staff-sync/client/react`).
 */
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', react: 'src/react.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  tsconfig: 'tsconfig.build.json',
  target: 'es2020',
  platform: 'neutral',
  sourcemap: true,
  clean: true,
  splitting: false,
  external: ['react'],
  outDir: 'dist',
});
