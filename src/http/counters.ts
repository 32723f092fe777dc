/**
 * What a router process counts for stats and metrics: requests by status class and node,
 * bytes, a latency histogram, requests in flight. Snapshots of several router processes
 * add up (`http-processes`).
 */
import { SPOOLED } from "./spool.ts";

/** Upper bounds (seconds) of the latency histogram's buckets (Prometheus' defaults). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counters as plain data (written to a file by router processes, summed by the master). */
export interface CounterSnapshot {
  requests: number;
  inFlight: number;
  /** Status class "1xx".."5xx" -> node -> requests. */
  byStatus: Record<string, Record<string, number>>;
  bytesIn: number;
  bytesOut: number;
  /** Requests per latency bucket (not cumulative; the last one is +Inf). */
  latency: number[];
  latencySum: number;
  connectFailures: number;
  refusedClients: number;
  /** Requests waiting for a node. */
  waiting: number;
  /** Bytes waiting in spools: memory and temp files. */
  bufferedMemory: number;
  bufferedFile: number;
  /** Resident memory of the process(es), by process name. */
  rss: Record<string, number>;
}

/** The live counters of one router process. */
export class Counters {
  requests = 0;
  inFlight = 0;
  bytesIn = 0;
  bytesOut = 0;
  latencySum = 0;
  readonly latency = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  readonly #byStatus = new Map<string, number[]>();

  /** A request began (its head was read). */
  begin(): void {
    this.requests++;
    this.inFlight++;
  }

  /** A request ended with `status` after `ms`, `bytes` of body sent, through `node`. */
  end(status: number, bytes: number, node: string, ms: number): void {
    this.inFlight--;
    this.bytesOut += bytes;
    let row = this.#byStatus.get(node);
    if (row === undefined) {
      row = [0, 0, 0, 0, 0, 0];
      this.#byStatus.set(node, row);
    }
    row[Math.min(5, Math.max(1, Math.floor(status / 100)))]!++;
    const seconds = ms / 1000;
    this.latencySum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.latency[i]!++;
  }

  /** The counters as plain data, with the engine's gauges. */
  snapshot(gauges: {
    connectFailures: number;
    refusedClients: number;
    waiting: number;
    process: string;
    rss: number;
  }): CounterSnapshot {
    const byStatus: CounterSnapshot["byStatus"] = {};
    for (const [node, row] of this.#byStatus) {
      for (let c = 1; c <= 5; c++) {
        if (row[c] === 0) continue;
        (byStatus[`${c}xx`] ??= {})[node] = row[c]!;
      }
    }
    return {
      requests: this.requests,
      inFlight: this.inFlight,
      byStatus,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      latency: [...this.latency],
      latencySum: this.latencySum,
      connectFailures: gauges.connectFailures,
      refusedClients: gauges.refusedClients,
      waiting: gauges.waiting,
      bufferedMemory: SPOOLED.memory,
      bufferedFile: SPOOLED.file,
      rss: { [gauges.process]: gauges.rss },
    };
  }
}

/** Several processes' snapshots as one. */
export function sumSnapshots(all: CounterSnapshot[]): CounterSnapshot {
  const out: CounterSnapshot = {
    requests: 0,
    inFlight: 0,
    byStatus: {},
    bytesIn: 0,
    bytesOut: 0,
    latency: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0),
    latencySum: 0,
    connectFailures: 0,
    refusedClients: 0,
    waiting: 0,
    bufferedMemory: 0,
    bufferedFile: 0,
    rss: {},
  };
  for (const s of all) {
    out.waiting += s.waiting;
    out.bufferedMemory += s.bufferedMemory;
    out.bufferedFile += s.bufferedFile;
    Object.assign(out.rss, s.rss);
    out.requests += s.requests;
    out.inFlight += s.inFlight;
    out.bytesIn += s.bytesIn;
    out.bytesOut += s.bytesOut;
    out.latencySum += s.latencySum;
    out.connectFailures += s.connectFailures;
    out.refusedClients += s.refusedClients;
    s.latency.forEach((n, i) => (out.latency[i]! += n));
    for (const [code, nodes] of Object.entries(s.byStatus)) {
      const row = out.byStatus[code] ??= {};
      for (const [node, n] of Object.entries(nodes)) row[node] = (row[node] ?? 0) + n;
    }
  }
  return out;
}
