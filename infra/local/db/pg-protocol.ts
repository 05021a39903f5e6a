/**
 * Just enough of the Postgres wire protocol to know where a backend response ends: each backend
 * message is a type byte, an Int32 length (itself included) and a body. ReadyForQuery ('Z') carries
 * the session status: 'I' idle, 'T' in a transaction, 'E' in a failed transaction.
 */
export const READY_FOR_QUERY = 0x5a; // 'Z'
export const TERMINATE = 0x58; // 'X' (frontend)

export class BackendMessageScanner {
  #header: number[] = [];
  #remaining = 0;
  #wantStatus = false;
  lastType: number | null = null;
  lastStatus: string | null = null;

  reset(): void {
    this.#header = [];
    this.#remaining = 0;
    this.#wantStatus = false;
    this.lastType = null;
    this.lastStatus = null;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#remaining > 0) {
        if (this.#wantStatus) {
          this.lastStatus = String.fromCharCode(chunk[i] as number);
          this.#wantStatus = false;
        }
        const take = Math.min(this.#remaining, chunk.length - i);
        this.#remaining -= take;
        i += take;
        continue;
      }
      this.#header.push(chunk[i] as number);
      i += 1;
      if (this.#header.length < 5) continue;
      const [type, b1, b2, b3, b4] = this.#header as [number, number, number, number, number];
      const length = ((b1 << 24) | (b2 << 16) | (b3 << 8) | b4) >>> 0;
      this.#header = [];
      this.lastType = type;
      this.lastStatus = null;
      this.#remaining = Math.max(0, length - 4);
      this.#wantStatus = type === READY_FOR_QUERY && this.#remaining > 0;
    }
  }
}
