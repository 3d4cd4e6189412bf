/** The work of one request, settled once its response is done with. */
export type Turn = () => Promise<void>;

interface Line {
  busy: boolean;
  readonly waiting: Turn[];
}

/**
 * One turn at a time per connection. Node's HTTP server emits 'request' for every pipelined request
 * of a connection at once and sends their responses in order; a turn per request started at once
 * would render every one of them together (a thousand requests in 35 KB of input). Here a request's
 * turn starts only once the previous one of its connection has settled, and at most `maxWaiting`
 * wait behind it: `enter` refuses the others, so what a connection holds is bounded whatever it sends.
 */
export class ConnectionTurns {
  private readonly lines = new WeakMap<object, Line>();

  /** @param maxWaiting turns allowed to wait behind the running one of a connection. */
  constructor(private readonly maxWaiting: number) {}

  /**
   * Runs `turn` now, or once the connection's earlier turns have settled; false (and `turn` is not
   * run) when `maxWaiting` turns already wait. Without a connection the turn runs now.
   */
  enter(connection: object | undefined, turn: Turn): boolean {
    if (connection === undefined) {
      void turn().catch(() => {});
      return true;
    }
    let line = this.lines.get(connection);
    if (line === undefined) {
      line = { busy: false, waiting: [] };
      this.lines.set(connection, line);
    }
    if (!line.busy) {
      this.run(connection, line, turn);
      return true;
    }
    if (line.waiting.length >= this.maxWaiting) return false;
    line.waiting.push(turn);
    return true;
  }

  private run(connection: object, line: Line, turn: Turn): void {
    line.busy = true;
    const next = (): void => {
      const following = line.waiting.shift();
      if (following !== undefined) {
        this.run(connection, line, following);
        return;
      }
      line.busy = false;
      this.lines.delete(connection);
    };
    turn().then(next, next);
  }
}
