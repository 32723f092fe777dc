/** The Prometheus text exposition of the edge's counters and gauges (`GET /metrics`). */
import { type CounterSnapshot, LATENCY_BUCKETS } from "../http/counters.ts";

/** A node as metrics show it. */
export interface NodeState {
  name: string;
  /** Takes requests: not in its grace period, not down by health check. */
  up: boolean;
}

/** What the metrics are made of. */
export interface MetricsSources {
  counters: CounterSnapshot;
  nodes: NodeState[];
  /** Subscription keys and their live nodes. */
  subscriptions: Array<{ key: string; nodes: number }>;
  ready: boolean;
}

function label(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** The exposition text. */
export function metricsText(s: MetricsSources): string {
  const c = s.counters;
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, lines: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  };
  metric(
    "uwsgi_edge_requests_total",
    "counter",
    "Requests answered, by status class and node.",
    requestLines(c),
  );
  metric("uwsgi_edge_requests_in_flight", "gauge", "Requests being served now.", [
    `uwsgi_edge_requests_in_flight ${c.inFlight}`,
  ]);
  metric("uwsgi_edge_queue_waiting", "gauge", "Requests waiting for a free node.", [
    `uwsgi_edge_queue_waiting ${c.waiting}`,
  ]);
  metric(
    "uwsgi_edge_request_duration_seconds",
    "histogram",
    "Time from the request head to the last response byte handed to the client.",
    latencyLines(c),
  );
  metric("uwsgi_edge_response_bytes_total", "counter", "Response body bytes sent to clients.", [
    `uwsgi_edge_response_bytes_total ${c.bytesOut}`,
  ]);
  metric(
    "uwsgi_edge_backend_connect_failures_total",
    "counter",
    "Connections to nodes that failed (a busy node's full listen queue is not one).",
    [`uwsgi_edge_backend_connect_failures_total ${c.connectFailures}`],
  );
  metric(
    "uwsgi_edge_clients_refused_total",
    "counter",
    "Clients answered 503 at once for lack of file descriptors.",
    [`uwsgi_edge_clients_refused_total ${c.refusedClients}`],
  );
  metric("uwsgi_edge_buffered_bytes", "gauge", "Request and response bytes waiting in the edge.", [
    `uwsgi_edge_buffered_bytes{where="memory"} ${c.bufferedMemory}`,
    `uwsgi_edge_buffered_bytes{where="file"} ${c.bufferedFile}`,
  ]);
  metric(
    "uwsgi_edge_node_up",
    "gauge",
    "1 when an http-to or http-fallback node takes requests, 0 when failed or down.",
    s.nodes.map((n) => `uwsgi_edge_node_up{node="${label(n.name)}"} ${n.up ? 1 : 0}`),
  );
  metric(
    "uwsgi_edge_subscription_nodes",
    "gauge",
    "Live nodes subscribed for each key.",
    s.subscriptions.map((k) => `uwsgi_edge_subscription_nodes{key="${label(k.key)}"} ${k.nodes}`),
  );
  metric("uwsgi_edge_ready", "gauge", "1 when some node may take requests.", [
    `uwsgi_edge_ready ${s.ready ? 1 : 0}`,
  ]);
  metric(
    "uwsgi_edge_process_resident_memory_bytes",
    "gauge",
    "Resident memory of the edge's processes.",
    Object.entries(c.rss).sort().map(([p, rss]) =>
      `uwsgi_edge_process_resident_memory_bytes{process="${label(p)}"} ${rss}`
    ),
  );
  return out.join("\n") + "\n";
}

/** The request counter's lines: one per status class and node. */
function requestLines(c: CounterSnapshot): string[] {
  const lines: string[] = [];
  for (const [code, nodes] of Object.entries(c.byStatus).sort()) {
    for (const [node, n] of Object.entries(nodes).sort()) {
      lines.push(`uwsgi_edge_requests_total{code="${code}",node="${label(node)}"} ${n}`);
    }
  }
  return lines;
}

/** The latency histogram's lines: cumulative buckets, sum and count. */
function latencyLines(c: CounterSnapshot): string[] {
  const lines: string[] = [];
  let cumulative = 0;
  LATENCY_BUCKETS.forEach((le, i) => {
    cumulative += c.latency[i]!;
    lines.push(`uwsgi_edge_request_duration_seconds_bucket{le="${le}"} ${cumulative}`);
  });
  cumulative += c.latency[LATENCY_BUCKETS.length]!;
  lines.push(
    `uwsgi_edge_request_duration_seconds_bucket{le="+Inf"} ${cumulative}`,
    `uwsgi_edge_request_duration_seconds_sum ${c.latencySum.toFixed(6)}`,
    `uwsgi_edge_request_duration_seconds_count ${cumulative}`,
  );
  return lines;
}
