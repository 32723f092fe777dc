/**
 * One process-wide buffer where writes are assembled (a response head and its first body
 * bytes, a chunk and its size line, a packet and a small body). Sockets whose `write()`
 * copies (Bun's) send straight from it; others get a copy of it. The engine runs on one
 * thread and never holds it across events.
 */
export const SCRATCH = new Uint8Array(256 * 1024);
