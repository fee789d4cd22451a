import { apiDocsRoutes } from "./routes.ts";

describe("API reference page", () => {
  const app = apiDocsRoutes();

  it("serves a page that loads Swagger UI from this server, not a CDN", async () => {
    const res = await app.request("/api/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('src="/api/docs/assets/swagger-ui-bundle.js"');
    expect(html).not.toMatch(/https?:\/\//);
    const init = await (await app.request("/api/docs/init.js")).text();
    expect(init).toContain('url: "/api/v1/openapi.json"');
  });

  it("serves the renderer's assets with their content types", async () => {
    const js = await app.request("/api/docs/assets/swagger-ui-bundle.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    const css = await app.request("/api/docs/assets/swagger-ui.css");
    expect(css.headers.get("content-type")).toMatch(/text\/css/);
  });

  it("refuses any other file, including path tricks", async () => {
    expect((await app.request("/api/docs/assets/package.json")).status).toBe(404);
    expect((await app.request("/api/docs/assets/..%2Fpackage.json")).status).toBe(404);
  });
});
