/**
 * The same 70+ requests through uWSGI's own router and through the edge, to Debian's
 * python3-httpbin under uWSGI: status, body and the headers the app sets must match.
 * Deliberate differences (README "Differences from uWSGI") are the framing the edge adds
 * (chunked for sizeless HTTP/1.1 bodies), so framing headers are not compared.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import {
  exchangeRaw,
  freePort,
  type RawResponse,
  startEdge,
  startUwsgi,
  startUwsgiRouter,
  tempDir,
} from "./helpers.ts";

interface Case {
  method?: string;
  target: string;
  headers?: Array<[string, string]>;
  body?: string | Uint8Array;
  /** The body differs per request (random, time): compare status and headers only. */
  volatile?: boolean;
  /** A gzip body, whose header holds the second it was made: compared decoded. */
  gzipped?: boolean;
}

const FRAMING = new Set([
  "connection",
  "transfer-encoding",
  "keep-alive",
  "content-length",
  "date",
]);

function binary(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);
}

const json = JSON.stringify({ a: [1, 2, { b: "ü" }], c: null });
const form = "name=value&x=%20y&list=1&list=2";

const CASES: Case[] = [
  // methods
  { target: "/get" },
  { target: "/get?a=1&b=two&b=three" },
  { method: "HEAD", target: "/get" },
  { method: "OPTIONS", target: "/get" },
  {
    method: "POST",
    target: "/post",
    body: form,
    headers: [["Content-Type", "application/x-www-form-urlencoded"]],
  },
  { method: "POST", target: "/post", body: json, headers: [["Content-Type", "application/json"]] },
  { method: "PUT", target: "/put", body: "put body", headers: [["Content-Type", "text/plain"]] },
  {
    method: "PATCH",
    target: "/patch",
    body: json,
    headers: [["Content-Type", "application/json"]],
  },
  { method: "DELETE", target: "/delete" },
  { method: "DELETE", target: "/anything", body: "delete with body" },
  { method: "PROPFIND", target: "/anything/webdav" },
  { method: "GET", target: "/post" },
  // odd paths and query strings
  { target: "/anything/a%20b/c" },
  { target: "/anything/%2e%2e/x" },
  { target: "/anything//double//slash" },
  { target: "/anything/./dot/../segments" },
  { target: "/anything/caf%C3%A9?q=caf%C3%A9" },
  { target: "/anything/a;param=1/b" },
  { target: "/anything/plus+sign?a+b=c+d" },
  { target: "/anything/%7Etilde" },
  { target: "/anything?empty=&flag&x=%26amp" },
  { target: "/anything?q=a%23b" },
  { target: "/anything/trailing/" },
  { target: "/anything?" + "long=" + "v".repeat(3000) },
  { target: "/anything/%41%42%43" },
  { target: "/anything/upper%2Fslash" },
  // headers and cookies
  { target: "/headers", headers: [["X-Custom", "value"], ["X-Empty", ""]] },
  { target: "/headers", headers: [["X-A", "1"], ["X-A", "2"]] },
  { target: "/headers", headers: [["X-Long", "h".repeat(2000)]] },
  { target: "/headers", headers: [["Accept-Language", "fr-CH, fr;q=0.9, en;q=0.8"]] },
  { target: "/user-agent", headers: [["User-Agent", "differential/1.0 (test)"]] },
  { target: "/cookies", headers: [["Cookie", "a=1; b=two"]] },
  { target: "/cookies/set?session=abc&theme=dark" },
  { target: "/cookies/delete?session" },
  { target: "/response-headers?X-Foo=bar&X-Foo=baz&Content-Type=text/plain" },
  { target: "/ip" },
  { target: "/basic-auth/user/pass", headers: [["Authorization", "Basic dXNlcjpwYXNz"]] },
  { target: "/basic-auth/user/pass" },
  { target: "/bearer", headers: [["Authorization", "Bearer token123"]] },
  { target: "/bearer" },
  { target: "/etag/abc", headers: [["If-None-Match", '"abc"']] },
  { target: "/etag/abc" },
  { target: "/cache", headers: [["If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"]] },
  { target: "/cache/60", volatile: true },
  // bodies of several sizes
  { method: "POST", target: "/anything", body: "" },
  {
    method: "POST",
    target: "/anything",
    body: binary(1000),
    headers: [["Content-Type", "application/octet-stream"]],
  },
  {
    method: "POST",
    target: "/anything",
    body: binary(65536),
    headers: [["Content-Type", "application/octet-stream"]],
  },
  {
    method: "POST",
    target: "/anything",
    body: "x".repeat(1024 * 1024),
    headers: [["Content-Type", "text/plain"]],
  },
  {
    method: "POST",
    target: "/post",
    body:
      '--b\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nfile\r\n--b--\r\n',
    headers: [["Content-Type", "multipart/form-data; boundary=b"]],
  },
  // encodings
  { target: "/gzip", gzipped: true },
  { target: "/deflate" },
  { target: "/encoding/utf8" },
  { target: "/base64/SGVsbG8sIHV3c2dpLWVkZ2Uh" },
  // redirects
  { target: "/redirect/3" },
  { target: "/relative-redirect/2" },
  { target: "/absolute-redirect/2" },
  { target: "/redirect-to?url=/get&status_code=307" },
  { target: "/redirect-to?url=http://example.com/" },
  // streams and ranges
  { target: "/stream/5" },
  { target: "/stream-bytes/3000?seed=1&chunk_size=100" },
  { target: "/bytes/2048?seed=7" },
  { target: "/range/1000", headers: [["Range", "bytes=10-99"]] },
  { target: "/range/100" },
  { target: "/drip?duration=0&numbytes=5&code=200&delay=0" },
  { target: "/links/3/1" },
  // status codes
  ...[200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 418, 500, 502, 503].map((code) => ({
    target: `/status/${code}`,
  })),
  // content types
  { target: "/html" },
  { target: "/json" },
  { target: "/xml" },
  { target: "/robots.txt" },
  { target: "/deny" },
  { target: "/image/png" },
  { target: "/uuid", volatile: true },
  { target: "/delay/0", volatile: true },
  { target: "/no/such/route" },
];

function requestBytes(c: Case): Uint8Array {
  const body = typeof c.body === "string" ? new TextEncoder().encode(c.body) : c.body;
  let head = `${
    c.method ?? "GET"
  } ${c.target} HTTP/1.1\r\nHost: example.test\r\nUser-Agent: diff\r\n`;
  for (const [name, value] of c.headers ?? []) head += `${name}: ${value}\r\n`;
  if (body !== undefined) head += `Content-Length: ${body.length}\r\n`;
  head += "Connection: close\r\n\r\n";
  const headBytes = new TextEncoder().encode(head);
  if (body === undefined) return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

function appHeaders(r: RawResponse): Array<[string, string]> {
  return r.headers.filter(([n]) => !FRAMING.has(n.toLowerCase())).map((
    [n, v],
  ) => [n.toLowerCase(), v]);
}

Deno.test("e2e: differential: httpbin answers the same through the edge and uWSGI's router", async () => {
  assert.ok(CASES.length >= 60);
  const dir = tempDir();
  const sock = `${dir.path}/httpbin.sock`;
  const backend = await startUwsgi(sock, [], ["--module", "httpbin:app"]);
  const routerPort = freePort();
  const edgePort = freePort();
  const router = await startUwsgiRouter(routerPort, ["--http-to", sock]);
  // request ids are the edge's addition (tested on their own): off for a like-for-like answer
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${edgePort}`,
    "--http-to",
    sock,
    "--http-request-id=false",
  ]);
  const mismatches: string[] = [];
  let withBody = 0;
  try {
    for (const c of CASES) {
      const bytes = requestBytes(c);
      const head = c.method === "HEAD";
      const viaRouter = await exchangeRaw(routerPort, bytes, head);
      const viaEdge = await exchangeRaw(edgePort, bytes, head);
      const label = `${c.method ?? "GET"} ${c.target.slice(0, 60)}`;
      if (viaEdge.body.length > 0) withBody++;
      if (viaEdge.status !== viaRouter.status) {
        mismatches.push(`${label}: status ${viaEdge.status} vs ${viaRouter.status}`);
        continue;
      }
      const volatileHeaders = c.volatile ? new Set(["last-modified", "etag"]) : new Set<string>();
      const eh = appHeaders(viaEdge).filter(([n]) => !volatileHeaders.has(n));
      const rh = appHeaders(viaRouter).filter(([n]) => !volatileHeaders.has(n));
      if (JSON.stringify(eh) !== JSON.stringify(rh)) {
        mismatches.push(`${label}: headers ${JSON.stringify(eh)} vs ${JSON.stringify(rh)}`);
      }
      const decoded = (body: Uint8Array) => c.gzipped ? gunzipSync(body) : body;
      if (
        !c.volatile &&
        JSON.stringify([...decoded(viaEdge.body)]) !== JSON.stringify([...decoded(viaRouter.body)])
      ) {
        mismatches.push(
          `${label}: body ${viaEdge.body.length} bytes vs ${viaRouter.body.length} bytes: ` +
            new TextDecoder().decode(viaEdge.body.subarray(0, 200)),
        );
      }
    }
    assert.deepEqual(mismatches, []);
    // the comparison compared something: most answers carry a body
    assert.ok(withBody > 50, `${withBody} bodies`);
  } finally {
    await edge.stop();
    await router.stop("SIGINT");
    await backend.stop("SIGINT");
    dir.cleanup();
  }
});
