/**
 * The operations plane, a Hono app: uWSGI's stats JSON at `/`, Prometheus metrics at
 * `/metrics`, liveness at `/healthz` and readiness at `/readyz`.
 */
import { Hono } from "hono";
import { type MetricsSources, metricsText } from "./metrics.ts";

/** Where the answers come from (read at each request). */
export interface OpsSources {
  /** uWSGI's stats document. */
  stats(): string;
  metrics(): MetricsSources;
  ready(): boolean;
}

/** The app. */
export function opsApp(sources: OpsSources): Hono {
  const app = new Hono();
  app.get("/", (c) => c.body(sources.stats(), 200, { "content-type": "application/json" }));
  app.get(
    "/metrics",
    (c) =>
      c.body(metricsText(sources.metrics()), 200, {
        "content-type": "text/plain; version=0.0.4; charset=utf-8",
      }),
  );
  app.get("/healthz", (c) => c.text("ok\n"));
  app.get(
    "/readyz",
    (c) => (sources.ready() ? c.text("ready\n") : c.text("no node is usable\n", 503)),
  );
  app.notFound((c) => c.text("not found: try /, /metrics, /healthz or /readyz\n", 404));
  return app;
}
