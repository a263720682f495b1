import { defineConfig } from "vitest/config";

// Preact through TypeScript's automatic JSX runtime (tsconfig: jsxImportSource "preact"); no plugin.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false, target: "es2022" },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
