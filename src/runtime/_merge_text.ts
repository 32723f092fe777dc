/** Shared by the runtime adapters: child output as one stream of text. */

/** Two byte streams as one stream of text chunks, in arrival order. */
export async function* mergeText(
  a: ReadableStream<Uint8Array>,
  b: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const queue: string[] = [];
  let open = 2;
  let wake: (() => void) | undefined;
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        queue.push(decoder.decode(chunk, { stream: true }));
        wake?.();
      }
    } finally {
      open--;
      wake?.();
    }
  };
  void pump(a);
  void pump(b);
  while (true) {
    if (queue.length > 0) {
      yield queue.shift()!;
      continue;
    }
    if (open === 0) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}
