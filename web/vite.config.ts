import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const root = fileURLToPath(new URL(".", import.meta.url));
const target = process.env.MESH_DEV_API ?? "http://127.0.0.1:8790";

// Dashboard build: root web/, output web/dist (served by the server), dev proxy to a running server.
export default defineConfig({
  root,
  plugins: [solid()],
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    manifest: true,
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target, changeOrigin: false, ws: true },
    },
  },
});
