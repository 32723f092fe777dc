/**
 * The three value passes uWSGI runs after every file is read: `$(ENV)`, `@(file)` and
 * `%(option)` (with its small left-to-right arithmetic). Undefined names stay literal.
 */

/** What the passes may look at. */
export interface PlaceholderScope {
  env: Record<string, string>;
  /** Reads a file for `@(path)`; throws when it cannot. */
  readFile: (path: string) => string;
  /** The first value of an option or placeholder, or undefined. */
  lookup: (name: string) => string | undefined;
}

const MAX_DEPTH = 8;

/** Runs the `$()`, `@()` and `%()` passes over one value. */
export function expandValue(value: string, scope: PlaceholderScope, depth = 0): string {
  if (!value.includes("(")) return value;
  let out = replaceCalls(value, "$", (name) => scope.env[name]);
  out = replaceCalls(out, "@", (path) => {
    const text = scope.readFile(path);
    return text.endsWith("\n") ? text.slice(0, -1) : text;
  });
  out = replaceCalls(out, "%", (expr) => evaluate(expr, scope, depth));
  return out;
}

/** Replaces every `<sigil>(inner)` whose callback gives a string; others stay as they are. */
function replaceCalls(
  value: string,
  sigil: string,
  resolve: (inner: string) => string | undefined,
): string {
  const open = sigil + "(";
  let start = value.indexOf(open);
  if (start < 0) return value;
  let out = "";
  let from = 0;
  while (start >= 0) {
    const end = value.indexOf(")", start + 2);
    if (end < 0) break;
    const inner = value.slice(start + 2, end);
    const replacement = resolve(inner);
    out += value.slice(from, start) + (replacement ?? value.slice(start, end + 1));
    from = end + 1;
    start = value.indexOf(open, from);
  }
  return out + value.slice(from);
}

const OPERATORS = new Set(["+", "-", "*", "/"]);

/** `%(name)` or `%(a + 1)`: operands are numbers or names, adjacent operands concatenate. */
function evaluate(expr: string, scope: PlaceholderScope, depth: number): string | undefined {
  if (depth >= MAX_DEPTH) return undefined;
  const operand = (token: string): string | undefined => {
    const found = scope.lookup(token);
    if (found !== undefined) return expandValue(found, scope, depth + 1);
    return /^-?\d+$/.test(token) ? token : undefined;
  };
  const tokens = expr.trim().split(/\s+/);
  if (tokens.length === 1) return operand(tokens[0]!);
  let acc: string | undefined;
  let pending: string | undefined;
  for (const token of tokens) {
    if (token === "++" || token === "--") {
      acc = String(toInt(acc) + (token === "++" ? 1 : -1));
      continue;
    }
    if (OPERATORS.has(token)) {
      pending = token;
      continue;
    }
    const value = operand(token) ?? token;
    if (acc === undefined) acc = value;
    else if (pending === undefined) acc += value;
    else acc = String(arith(toInt(acc), pending, toInt(value)));
    pending = undefined;
  }
  return acc;
}

function toInt(text: string | undefined): number {
  const n = parseInt(text ?? "", 10);
  return Number.isNaN(n) ? 0 : n;
}

function arith(a: number, op: string, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    default:
      return b === 0 ? 0 : Math.trunc(a / b);
  }
}
