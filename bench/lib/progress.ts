/** Progress on stderr: one line rewritten in place on a terminal, plain lines otherwise. */
export interface Progress {
  update(message: string): void;
  done(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  let last = '';
  let lastPrintedAt = 0;
  /** Off a terminal, a line per phase (the message without its numbers), or one a second. */
  const phase = (message: string): string => message.replace(/\d+/g, '#');
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  return {
    update(message) {
      const line = `[${label} ${elapsed()}] ${message}`;
      if (stream.isTTY) {
        stream.write(`\r\x1b[K${line.slice(0, (stream.columns || 100) - 1)}`);
      } else if (phase(message) !== phase(last) || Date.now() - lastPrintedAt >= 1000) {
        stream.write(`${line}\n`);
        lastPrintedAt = Date.now();
      }
      last = message;
    },
    done() {
      if (stream.isTTY) stream.write('\r\x1b[K');
      stream.write(`[${label}] done in ${elapsed()}\n`);
    },
  };
}
