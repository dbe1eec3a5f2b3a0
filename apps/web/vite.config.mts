import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

// The API serves dist/web at `/` with an SPA fallback, so the app is built for the site root and
// `vite dev` forwards `/api` to a locally running API to keep requests same-origin (session cookies).
export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The dashboard's chunk carries ECharts (bars, line, treemap, SVG renderer: about 600 kB, 200 kB
    // gzipped), loaded only when 统计报表 is opened; everything else stays far below this.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/api': { target: 'http://localhost:3000' },
    },
  },
});
