/** The last `capacity` items pushed, in a fixed array: older ones are overwritten. */
export class RecentList<T> {
  private readonly items: Array<T | undefined>;
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity).fill(undefined);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  newest(): T | undefined {
    return this.size === 0 ? undefined : this.items[(this.next - 1 + this.capacity) % this.capacity];
  }

  newestFirst(): T[] {
    const out: T[] = [];
    for (let i = 1; i <= this.size; i++)
      out.push(this.items[(this.next - i + this.capacity) % this.capacity]!);
    return out;
  }
}
