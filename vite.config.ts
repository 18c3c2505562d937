import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The screen is a Vue app rooted at screen/; `npm run build` writes dist/screen, which the
// server serves on the API's port. In development (`npx vite`), /api and /socket.io go to
// a server on :3000.
export default defineConfig({
  root: fileURLToPath(new URL('./screen', import.meta.url)),
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('./dist/screen', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'ws://127.0.0.1:3000', ws: true },
    },
  },
})
