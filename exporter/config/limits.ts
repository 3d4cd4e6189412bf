// Bounds the validation enforces; the defaults live in defaults.ts.

/** Larger files are refused before parsing. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** yaml's `maxAliasCount`: how far aliases may multiply the document when expanded. */
export const MAX_ALIAS_COUNT = 100;

/** Collections nested deeper are refused before yaml composes them, which recurses per level. */
export const MAX_NESTING = 64;

/** Node timers have millisecond resolution. */
export const MIN_DURATION = 0.001;
/** Well below the ~24.8 days at which Node timers overflow. */
export const MAX_DURATION = 24 * 3600;

/** The bounds the Pinger accepts (probes/ping/pinger.ts): its token takes 8 bytes. */
export const MIN_PING_SIZE = 8;
export const MAX_PING_SIZE = 65_499;

/**
 * A probe's timeout is at most this many intervals: requests to one address in flight at once
 * (probes/probe-request.ts probesInFlight). Each costs a pending entry in the socket's probe table
 * until its deadline, and a typo such as `interval: 1ms` with `timeout: 10s` would keep ten
 * thousand per target. The library itself takes any ratio (as iputils' -i and -W do).
 */
export const MAX_PROBES_IN_FLIGHT = 100;

export const MAX_TARGET_NAME_LENGTH = 128;

/** TCP and UDP ports: knock ports and trace destination ports. */
export const MIN_PORT = 1;
export const MAX_PORT = 65_535;

/** Bounds of the trace keys: TTL is one byte; the others keep one round's packets in hand. */
export const MAX_TRACE_HOPS = 255;
export const MAX_TRACE_FLOWS = 64;
/** MDA: every flow holds a source port (or an ICMP identifier) while its round runs. */
export const MAX_TRACE_MAX_FLOWS = 1024;
/** MDA confidence: below 0.5 a hop of one router gets a single probe; above 0.99 rounds grow fast for little. */
export const MIN_TRACE_CONFIDENCE = 0.5;
export const MAX_TRACE_CONFIDENCE = 0.99;
export const MAX_TRACE_PROBES = 10;
/** MDA pacing: the share of the interval a round's probes are spread over (0: no pacing, no budget). */
export const MAX_TRACE_PACING = 0.9;
/** trace_budget: a burst above this is no limit any router has; per_second likewise. */
export const MAX_TRACE_BUDGET_BURST = 1000;
export const MAX_TRACE_BUDGET_PER_SECOND = 10_000;
export const MAX_TRACE_SILENT_HOPS = 255;
export const MAX_TRACE_HOP_ADDRESSES = 1000;

/**
 * Targets in one file. Sharded exporters each read the whole list (`--shard.*`), so the bound is
 * the fleet's, not one instance's: five shards of the size the exporter is benchmarked at
 * (bench/results.md). A longer list is refused whole, before any target is validated, so that it
 * costs neither the memory of its objects nor one error per item.
 */
export const MAX_TARGETS = 50_000;

/**
 * Entries of every YAML collection together (sequence items, mapping keys, flow collections),
 * counted on the token stream before the document is built: the document's memory grows with its
 * entries, and an 8 MiB file of `- 1` lines or `{},` holds millions. Ten per target at MAX_TARGETS
 * (a name, a host, a few labels and probe keys); the worst file under it is measured in
 * bench/results.md ("Hostile config files").
 */
export const MAX_YAML_ENTRIES = 10 * MAX_TARGETS;

/** Issues listed in an error, a reload reply or a log line; the others are counted ("… and N more errors"). */
export const MAX_REPORTED_ISSUES = 100;

/** Key paths longer than this are cut in reload replies and logs. */
export const MAX_ISSUE_PATH_CHARS = 200;

/** `max_addresses` of a target with `addresses: all`: series per address multiply by it. */
export const MAX_TARGET_ADDRESSES = 1024;

/** Patterns of one target group's `files`. */
export const MAX_TARGET_GROUP_FILES = 100;

/** Files the patterns of every group match together; those past the limit are reported and left unread. */
export const MAX_TARGET_FILES = 1000;

/** A target file larger than this is an error of that file (its last good content stays). */
export const MAX_TARGET_FILE_BYTES = MAX_CONFIG_BYTES;
