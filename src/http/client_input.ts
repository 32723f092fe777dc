/**
 * The client's bytes not consumed yet — `bytes[start, length)` — with how far a request
 * head's end was already looked for (`scanned`), so a head that arrives in pieces is
 * scanned once.
 */
import { concatBytes } from "../bytes.ts";

/** A connection's unread input. */
export class ClientInput {
  bytes: Uint8Array | null = null;
  start = 0;
  scanned = 0;

  /** Bytes not consumed yet. */
  get pending(): number {
    return this.bytes === null ? 0 : this.bytes.length - this.start;
  }

  /** Bytes that arrived. */
  append(more: Uint8Array): void {
    if (this.bytes === null) {
      this.bytes = more;
      this.start = 0;
      return;
    }
    this.bytes = concatBytes([this.bytes.subarray(this.start), more]);
    this.scanned -= this.start;
    this.start = 0;
  }

  /** Everything before `end` was consumed. */
  consumeTo(end: number): void {
    if (end === this.bytes!.length) {
      this.clear();
      return;
    }
    this.start = end;
    this.scanned = end;
  }

  /** Takes what is left (the first bytes of a tunnel), or null. */
  takeRest(): Uint8Array | null {
    const bytes = this.bytes;
    const rest = bytes !== null && this.start < bytes.length ? bytes.subarray(this.start) : null;
    this.clear();
    return rest;
  }

  clear(): void {
    this.bytes = null;
    this.start = 0;
    this.scanned = 0;
  }
}
