/** Weighted least reference count: fewest requests in flight per unit of weight. */
import type { Algorithm } from "./algorithm.ts";

/** `subscription-algo = wlrc`. */
export const wlrc: Algorithm = (nodes) => {
  let best = nodes[0]!;
  for (const node of nodes) if (node.ref / node.weight < best.ref / best.weight) best = node;
  return best;
};
