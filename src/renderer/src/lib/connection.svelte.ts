/**
 * The connection state as the shell shows it, fed by the transport (see
 * `connection` in ./api). `secondsToRetry` ticks while the page waits to try
 * the server again.
 */
import { connection as transport, type ConnectionState } from './api';

class ConnectionView {
  state = $state<ConnectionState>(transport.current.state);
  nextRetryAt = $state<number | null>(transport.current.nextRetryAt);
  now = $state(Date.now());
  readonly hasToken = transport.hasToken;
  private listeners = new Set<(from: ConnectionState, to: ConnectionState) => void>();
  private ticker: ReturnType<typeof setInterval> | null = null;

  constructor() {
    transport.listeners.add((s) => {
      const from = this.state;
      this.state = s.state;
      this.nextRetryAt = s.nextRetryAt;
      this.now = Date.now();
      this.tick();
      if (from !== s.state) for (const l of this.listeners) l(from, s.state);
    });
  }

  get secondsToRetry(): number | null {
    return this.nextRetryAt === null ? null : Math.max(0, Math.ceil((this.nextRetryAt - this.now) / 1000));
  }

  /** Called on every change of state (e.g. the jobs store refreshes on reconnect). */
  onChange(listener: (from: ConnectionState, to: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  retryNow(): void {
    transport.retryNow();
  }

  private tick() {
    const waiting = this.state === 'reconnecting' || this.state === 'gone';
    if (waiting && !this.ticker) this.ticker = setInterval(() => (this.now = Date.now()), 500);
    if (!waiting && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }
}

export const connection = new ConnectionView();
