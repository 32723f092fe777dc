/** HTTPS listeners, HTTP/2 and the https redirect, with curl and nghttp (issue 6, part 1). */
import assert from "node:assert/strict";
import {
  certificate,
  edgeCommand,
  freePort,
  run,
  startEdge,
  startUwsgi,
  tempDir,
} from "./helpers.ts";

Deno.test("e2e: https listener with HTTP/2, and http-to-https redirects", async (t) => {
  const dir = tempDir();
  await certificate(dir.path, "site");
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock, []);
  const [tls, redirect, plain] = [freePort(), freePort(), freePort()];
  const edge = await startEdge([
    "--https",
    `127.0.0.1:${tls},${dir.path}/site.crt,${dir.path}/site.key`,
    "--http-to-https",
    `127.0.0.1:${redirect},${tls}`,
    "--http",
    `127.0.0.1:${plain}`,
    "--http-to",
    sock,
  ], { listeners: 3 });
  try {
    await t.step("the app sees HTTPS=on and wsgi.url_scheme https", async () => {
      const { out } = await run("curl", ["-sk", `https://127.0.0.1:${tls}/env`]);
      const env = JSON.parse(out);
      assert.equal(env.HTTPS, "on");
      assert.equal(env["wsgi.url_scheme"], "https");
      assert.equal(env.SERVER_PORT, String(tls));
      // the plain listener beside it does not set it
      const plainEnv = JSON.parse((await run("curl", ["-s", `http://127.0.0.1:${plain}/env`])).out);
      assert.equal(plainEnv.HTTPS, undefined);
    });
    await t.step("HTTP/2 is negotiated by ALPN (curl and nghttp)", async () => {
      const { out } = await run("curl", [
        "-sk",
        "--http2",
        "-o",
        "/dev/null",
        "-w",
        "%{http_version}",
        `https://127.0.0.1:${tls}/`,
      ]);
      assert.equal(out, "2");
      const h2 = await run("nghttp", ["-n", "-s", `https://127.0.0.1:${tls}/bytes/100000`]);
      assert.equal(h2.code, 0, h2.err);
      assert.match(h2.out + h2.err, /complete|100000/);
      const body = await run("curl", ["-sk", "--http2", `https://127.0.0.1:${tls}/stream/70000`]);
      assert.equal(body.out.length, 70000);
    });
    await t.step(
      "http-to-https answers 301 to the https URL with the configured port",
      async () => {
        const { out } = await run("curl", [
          "-si",
          "-H",
          "Host: www.example.com:8092",
          `http://127.0.0.1:${redirect}/p?x=1`,
        ]);
        assert.match(out, /^HTTP\/1\.1 301 Moved Permanently\r\n/);
        assert.match(out, /\r\nLocation: https:\/\/www\.example\.com:\d+\/p\?x=1\r\n/);
        assert.ok(out.includes(`Location: https://www.example.com:${tls}/p?x=1`));
      },
    );
  } finally {
    await edge.stop();
    await backend.stop("SIGINT");
    dir.cleanup();
  }
});

Deno.test("e2e: unusable certificates and unsupported https fields exit 2 with one line", async () => {
  const dir = tempDir();
  await certificate(dir.path, "a");
  await certificate(dir.path, "b");
  Deno.writeTextFileSync(`${dir.path}/junk.crt`, "not a certificate\n");
  const { cmd, args } = edgeCommand();
  const cases: Array<[string, RegExp]> = [
    [
      `:0,missing.crt,a.key`,
      /Cannot use option "https" \(command line\) as the certificate file missing\.crt cannot be read/,
    ],
    [`:0,junk.crt,a.key`, /as junk\.crt is not a PEM certificate/],
    [`:0,a.crt,a.key,HIGH`, /cipher strings cannot be honoured on this runtime/],
    [`:0,a.crt,a.key,,!ca.crt`, /client certificates \(the 5th field\) are not supported/],
    [
      `127.0.0.1:0,a.crt,b.key`,
      /Cannot use option "https" \(command line\) as its certificate and key were refused: b\.key is not the key of a\.crt/,
    ],
  ];
  try {
    for (const [value, message] of cases) {
      const out = await run(
        cmd,
        [...args, "--https", value, "--http-to", "/tmp/none.sock"],
        dir.path,
      );
      assert.equal(out.code, 2, `${value}: ${out.err}`);
      assert.match(out.err, message);
    }
  } finally {
    dir.cleanup();
  }
});
