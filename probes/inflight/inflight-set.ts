import type { DeadlineList } from './deadline-list';

/** What the set needs of a probe: its place in the set, and how to end it. */
export interface InflightMember {
  /** Index in the set while in flight; -1 otherwise. Written by the set only. */
  inflightIndex: number;
  /** Settles the probe as unanswered (it leaves the set as it settles). */
  cancel(): void;
}

/**
 * The probes of one session in flight, with what each needs while it waits: the list of its
 * timeout and the sockets to read before a timeout is declared. The session's close() cancels them
 * all. An array whose members know their index, so adding and removing are O(1) and allocate
 * nothing (a Set would rehash on every probe).
 */
export class InflightSet {
  private readonly members: InflightMember[] = [];

  constructor(
    /** The timeouts of the session's probes: its duration is the probes' timeout. */
    readonly deadlines: DeadlineList,
    /** Reads the sockets the answers arrive on, so that an answer waiting there is not taken for a loss. */
    readonly readNow: () => void,
  ) {}

  get size(): number {
    return this.members.length;
  }

  add(member: InflightMember): void {
    if (member.inflightIndex >= 0) return;
    member.inflightIndex = this.members.push(member) - 1;
  }

  /** Removes `member` if it is in the set; returns whether it was. */
  remove(member: InflightMember): boolean {
    const { members } = this;
    const index = member.inflightIndex;
    if (index < 0 || members[index] !== member) return false;
    const last = members.pop()!;
    if (last !== member) {
      members[index] = last;
      last.inflightIndex = index;
    }
    member.inflightIndex = -1;
    return true;
  }

  /** Cancels every member, in the order of the set (the order they were added, but for removals). */
  cancelAll(): void {
    // A copy: each cancel() removes its member and moves the last one into its place.
    for (const member of this.members.slice()) member.cancel();
  }
}
