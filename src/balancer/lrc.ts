/** Least reference count: the node with the fewest requests in flight (ties: list order). */
import type { Algorithm } from "./algorithm.ts";

/** `subscription-algo = lrc`. */
export const lrc: Algorithm = (nodes) => {
  let best = nodes[0]!;
  for (const node of nodes) if (node.ref < best.ref) best = node;
  return best;
};
