import assert from "node:assert/strict";
import { expandValue } from "../../src/config/placeholders.ts";

const values: Record<string, string> = { port: "9000", list: "first", name: "app", k: "2" };
const scope = {
  env: { HOME: "/root", PORT: "5000" },
  readFile: (path: string) => {
    if (path === "/etc/secret") return "s3cret\n";
    throw new Error(`No such file: ${path}`);
  },
  lookup: (name: string) => values[name],
};

Deno.test("expandValue() substitutes $(ENV) and leaves undefined ones literal", () => {
  assert.equal(expandValue(":$(PORT)", scope), ":5000");
  assert.equal(expandValue("$(NO_SUCH_VAR_X)", scope), "$(NO_SUCH_VAR_X)");
});

Deno.test("expandValue() reads @(file) without its trailing newline", () => {
  assert.equal(expandValue("key=@(/etc/secret)", scope), "key=s3cret");
});

Deno.test("expandValue() substitutes %(option) and leaves undefined ones literal", () => {
  assert.equal(expandValue("127.0.0.1:%(port)", scope), "127.0.0.1:9000");
  assert.equal(expandValue("%(nope)", scope), "%(nope)");
});

Deno.test("expandValue() evaluates %() arithmetic left to right and concatenates operands", () => {
  assert.equal(expandValue("%(port + 1)", scope), "9001");
  assert.equal(expandValue("%(port port)", scope), "90009000");
  assert.equal(expandValue("%(k * 3 - 1)", scope), "5");
  assert.equal(expandValue("%(port / 0)", scope), "0");
  assert.equal(expandValue("%(2 + 1)", scope), "3");
});

Deno.test("expandValue() runs $() before %() so both can combine", () => {
  assert.equal(expandValue("%(name)-$(HOME)", scope), "app-/root");
});
