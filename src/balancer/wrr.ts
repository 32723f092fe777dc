/**
 * Weighted round robin as uWSGI does it (spec §6.5): the first node with credit takes the
 * request; when none has any, every node gets weight / smallest weight and the last node
 * takes it. Weights 1 and 2 give S2, S1, S2, S2, S1, S2, ...
 */
import type { Algorithm } from "./algorithm.ts";

/** `subscription-algo = wrr` (the default). */
export const wrr: Algorithm = (nodes) => {
  for (const node of nodes) {
    if (node.wrr > 0) {
      node.wrr--;
      return node;
    }
  }
  const smallest = Math.min(...nodes.map((n) => n.weight));
  for (const node of nodes) node.wrr = Math.floor(node.weight / smallest);
  const last = nodes[nodes.length - 1]!;
  last.wrr--;
  return last;
};
