#!/usr/bin/env python3
"""User-space delay link for the netdiag-exporter test lab.

The kernel of the CI machines has no netem qdisc, so a link with a fixed
one-way delay is built from two TUN devices (IFF_TUN | IFF_NO_PI) and this
process, which copies every packet read from one device to the other once the
packet has been held for the configured delay.

Usage: delay_link.py --dev-a NAME --dev-b NAME --delay-ms MS [--delay-ba-ms MS]
                     [--spin-us US] [--rt-priority N] [--ignore-stdin]

* Both devices are created in the namespace this process runs in; "ready" is
  printed on stdout once they exist. The caller then moves them into their
  target namespaces (``ip link set DEV netns NS``): the file descriptors stay
  attached to the devices across the move.
* Each direction is a FIFO queue. The delay of a direction is constant, so a
  FIFO is also ordered by due time and packet order is preserved.
* Sleeping is done with select() timeouts computed to the next due time on the
  monotonic clock; the timer slack of the process is reduced to 1 ns so the
  kernel does not coalesce the wake-up (the default slack is 50 us). Timed
  wake-ups on virtual machines are still often 50-200 us late, so select()
  returns --spin-us before the due time and the rest is polled (select with a
  zero timeout, which also picks up packets arriving meanwhile).
* The process asks for SCHED_FIFO (priority 10, --rt-priority): with normal
  scheduling, CPU-bound processes on the machine (a test suite compiling,
  other labs) delay it by milliseconds. It sleeps except for the last
  --spin-us before each due time, so it takes little from others.
* The process exits cleanly on SIGTERM/SIGINT, when its stdin reaches EOF
  (the parent died) or when a device disappears (its namespace was deleted).
"""

import argparse
import collections
import ctypes
import errno
import fcntl
import gc
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
PR_SET_TIMERSLACK = 29
MAX_QUEUE = 10000  # packets per direction; beyond that packets are dropped
READ_SIZE = 65536
MAX_SAMPLES = 100000

stopping = False


def on_signal(_signum, _frame):
    global stopping
    stopping = True


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    ifr = struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
    return fd


def reduce_timer_slack():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_TIMERSLACK, ctypes.c_ulong(1), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def raise_priority(prio):
    if prio <= 0:
        return
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(prio))
    except (OSError, AttributeError):
        pass


def deliver(dst, packet, counts):
    try:
        os.write(dst, packet)
        counts["forwarded"] += 1
    except BlockingIOError:
        counts["dropped"] += 1
    except OSError as exc:
        # device down or gone: the packet is lost like on a dead wire
        if exc.errno not in (errno.EIO, errno.EBADFD, errno.ENODEV, errno.ENXIO, errno.EINVAL):
            raise
        counts["dropped"] += 1


def drain(src, delay, queue, counts, monotonic_ns):
    """Read every pending packet of src; False when the device is gone."""
    while True:
        try:
            packet = os.read(src, READ_SIZE)
        except BlockingIOError:
            return True
        except OSError as exc:
            if exc.errno in (errno.EBADFD, errno.ENODEV, errno.ENXIO):
                return False
            if exc.errno == errno.EIO:
                return True
            raise
        if not packet:
            return True
        if len(queue) >= MAX_QUEUE:
            counts["dropped"] += 1
            continue
        queue.append((monotonic_ns() + delay, packet))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev-a", required=True)
    parser.add_argument("--dev-b", required=True)
    parser.add_argument("--delay-ms", type=float, required=True, help="one-way delay a->b (and b->a)")
    parser.add_argument("--delay-ba-ms", type=float, default=None, help="one-way delay b->a if different")
    parser.add_argument(
        "--spin-us", type=float, default=300.0, help="poll instead of sleeping this long before a due time"
    )
    parser.add_argument(
        "--rt-priority", type=int, default=10, help="SCHED_FIFO priority if permitted (0: normal scheduling)"
    )
    parser.add_argument(
        "--ignore-stdin", action="store_true", help="do not exit on stdin EOF (for manual use from a shell)"
    )
    args = parser.parse_args()

    for name in (args.dev_a, args.dev_b):
        if not name or len(name) > 15:
            parser.error("device names must have 1..15 characters: %r" % name)
    delay_ab = int(args.delay_ms * 1e6)
    delay_ba = int((args.delay_ms if args.delay_ba_ms is None else args.delay_ba_ms) * 1e6)
    if delay_ab < 0 or delay_ba < 0:
        parser.error("delays must be >= 0")

    # Signals only set a flag; the wake-up pipe makes select() return at once
    # (PEP 475 would otherwise silently restart it after the handler ran).
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    gc.disable()  # the loop creates no reference cycles; avoid collector pauses
    reduce_timer_slack()
    raise_priority(args.rt_priority)

    fd_a = open_tun(args.dev_a)
    fd_b = open_tun(args.dev_b)
    sys.stdout.write("ready\n")
    sys.stdout.flush()

    stdin_fd = sys.stdin.fileno()
    # (source fd, destination fd, delay ns, FIFO of (due ns, packet))
    directions = (
        (fd_a, fd_b, delay_ab, collections.deque()),
        (fd_b, fd_a, delay_ba, collections.deque()),
    )
    rlist = [fd_a, fd_b, wake_r] + ([] if args.ignore_stdin else [stdin_fd])
    spin_ns = int(args.spin_us * 1000)
    monotonic_ns = time.monotonic_ns
    counts = {"forwarded": 0, "dropped": 0, "late_max_ns": 0}
    lateness = []  # ns, first MAX_SAMPLES deliveries, for the statistics printed on exit

    while not stopping:
        now = monotonic_ns()
        # 1. deliver everything that is due
        next_due = None
        for _src, dst, _delay, queue in directions:
            while queue and queue[0][0] <= now:
                due, packet = queue.popleft()
                deliver(dst, packet, counts)
                late = now - due
                if late > counts["late_max_ns"]:
                    counts["late_max_ns"] = late
                if len(lateness) < MAX_SAMPLES:
                    lateness.append(late)
            if queue and (next_due is None or queue[0][0] < next_due):
                next_due = queue[0][0]

        # 2. wait for input or until shortly before the next due time; the
        #    last spin_ns are polled, as a timed wake-up is often 50-200 us late
        if next_due is None:
            timeout = None
        else:
            remaining = next_due - monotonic_ns()
            timeout = 0.0 if remaining <= spin_ns else (remaining - spin_ns) / 1e9
        readable, _, _ = select.select(rlist, [], [], timeout)

        # 3. read all pending packets, stamping their due time
        for src, _dst, delay, queue in directions:
            if src in readable and not drain(src, delay, queue, counts, monotonic_ns):
                return 0  # device removed (its namespace was deleted)
        if not args.ignore_stdin and stdin_fd in readable:
            try:
                data = os.read(stdin_fd, 4096)
            except OSError:
                data = b""
            if not data:
                return 0  # parent process gone: stop, the TUN devices vanish with us
        if wake_r in readable:
            try:
                os.read(wake_r, 512)
            except BlockingIOError:
                pass

    lateness.sort()

    def pct(p):
        return lateness[min(len(lateness) - 1, int(p * len(lateness)))] / 1000 if lateness else 0.0

    sys.stderr.write(
        "delay_link: stopping, forwarded=%d dropped=%d lateness_us p50=%.1f p90=%.1f p99=%.1f max=%.1f\n"
        % (counts["forwarded"], counts["dropped"], pct(0.5), pct(0.9), pct(0.99), counts["late_max_ns"] / 1000)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
