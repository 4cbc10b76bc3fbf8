/**
 * Keeps the last `capacity` lines of a process's output, and turns stream
 * chunks (which split lines anywhere) into whole lines.
 */
export class LogTail {
  private readonly lines: string[] = [];
  private partial: Record<string, string> = {};

  constructor(private readonly capacity = 200) {}

  /** Add a whole line. */
  push(line: string): void {
    this.lines.push(line.length > 2000 ? line.slice(0, 2000) + ' …' : line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  /** Add a chunk of a stream; returns the whole lines it completed. */
  write(stream: string, chunk: string): string[] {
    const text = (this.partial[stream] ?? '') + chunk;
    const parts = text.split(/\r?\n/);
    this.partial[stream] = parts.pop() ?? '';
    const done = parts.filter((l) => l.length > 0);
    for (const l of done) this.push(l);
    return done;
  }

  /** Flush unterminated output of every stream; returns those lines with their streams. */
  flush(): { stream: string; line: string }[] {
    const out: { stream: string; line: string }[] = [];
    for (const [stream, rest] of Object.entries(this.partial)) {
      if (rest) {
        this.push(rest);
        out.push({ stream, line: rest });
      }
    }
    this.partial = {};
    return out;
  }

  tail(n = this.capacity): string[] {
    return this.lines.slice(-n);
  }
}
