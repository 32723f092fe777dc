/** Several certificates on one https listener, chosen by the client's server name (SNI). */
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

/** The subject CN of the certificate the server presents for `serverName`. */
async function servedCn(port: number, serverName: string): Promise<string> {
  const cmd = new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", serverName],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = cmd.stdin.getWriter();
  await writer.close();
  const out = new TextDecoder().decode((await cmd.output()).stdout);
  return /subject=.*?CN ?= ?([^\s,/]+)/.exec(out)?.[1] ?? `(none in ${out.slice(0, 200)})`;
}

Deno.test("e2e: sni certificates by server name, wildcards and a default; curl --resolve", async () => {
  const dir = tempDir();
  for (const [name, cn] of [["default", "default.test"], ["a", "a.test"], ["w", "*.w.test"]]) {
    await certificate(dir.path, name!, cn!);
  }
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock);
  const port = freePort();
  const edge = await startEdge([
    "--https",
    `127.0.0.1:${port},${dir.path}/default.crt,${dir.path}/default.key`,
    "--sni",
    `a.test,${dir.path}/a.crt,${dir.path}/a.key`,
    "--sni",
    `*.w.test,${dir.path}/w.crt,${dir.path}/w.key`,
    "--http-to",
    sock,
  ]);
  try {
    assert.equal(await servedCn(port, "a.test"), "a.test");
    assert.equal(await servedCn(port, "x.w.test"), "*.w.test");
    assert.equal(await servedCn(port, "y.x.w.test"), "default.test", "a wildcard is one label");
    assert.equal(await servedCn(port, "other.test"), "default.test");
    const curl = await run("curl", [
      "-s",
      "--cacert",
      `${dir.path}/a.crt`,
      "--resolve",
      `a.test:${port}:127.0.0.1`,
      `https://a.test:${port}/`,
    ]);
    assert.equal(curl.out, "Hello World\n", curl.err);
  } finally {
    await edge.stop();
    await backend.stop("SIGINT");
    dir.cleanup();
  }
});

Deno.test("e2e: unusable sni files exit 2 naming the option and the file", async () => {
  const dir = tempDir();
  await certificate(dir.path, "site");
  await certificate(dir.path, "other");
  Deno.writeTextFileSync(`${dir.path}/junk.pem`, "not a certificate");
  const { cmd, args } = edgeCommand();
  const https = `127.0.0.1:${freePort()},${dir.path}/site.crt,${dir.path}/site.key`;
  const cases: Array<[string, RegExp]> = [
    [
      `a.test,${dir.path}/missing.crt,${dir.path}/site.key`,
      /Cannot use option "sni" \(command line\) as the certificate file .*missing\.crt cannot be read/,
    ],
    [`a.test,${dir.path}/junk.pem,${dir.path}/site.key`, /junk\.pem is not a PEM certificate/],
    [
      `a.test,${dir.path}/site.crt,${dir.path}/other.key`,
      /Cannot use option "sni" \(command line\) as its certificate and key were refused/,
    ],
    [`bad host,${dir.path}/site.crt,${dir.path}/site.key`, /"bad host" is not a host name/],
  ];
  try {
    for (const [sni, message] of cases) {
      const out = await run(cmd, [...args, "--https", https, "--sni", sni, "--http-to", "/x.sock"]);
      assert.equal(out.code, 2, out.err);
      assert.match(out.err, message);
      assert.equal(out.err.trim().split("\n").filter((l) => l.startsWith("uwsgi-edge:")).length, 1);
    }
  } finally {
    dir.cleanup();
  }
});
