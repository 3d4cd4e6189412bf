import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { ConfigError, loadConfig } from '../../../exporter/config';
import { fixturePath, fixturesDir } from './fixture-paths';

/** Fixture name -> the exact lines of the error, FILE standing for the fixture's path. */
const EXPECTED: Record<string, string[]> = {
  addresses: [
    'FILE:4:16: targets[0].addresses: unknown addresses "some"; expected one of: first, all',
    'FILE:9:20: targets[1].max_addresses: must be an integer from 1 to 1024, got 0',
    'FILE:10:36: targets[1].exclude_addresses[1]: exclude_addresses takes IP addresses, got "peers.example"',
    'FILE:14:20: targets[2].max_addresses: max_addresses applies to `addresses: all` only: add that, or remove max_addresses',
    'FILE:15:20: targets[2].selection_key: selection_key applies to `addresses: all` only: add that, or remove selection_key',
  ],
  'env-reference': [
    'FILE:2:16: labels.source_node: environment variable NETDIAG_TEST_VARIABLE_NEVER_SET is not set (referenced as ${NETDIAG_TEST_VARIABLE_NEVER_SET})',
    'FILE:3:11: labels.region: "${not a name}" is not a variable reference: write ${NAME}, NAME a variable name',
    'FILE:4:3: labels.target: label name "target" is reserved: the exporter sets it',
    'FILE:9:25: targets[0].exclude_addresses[0]: environment variable NETDIAG_TEST_VARIABLE_NEVER_SET is not set (referenced as ${NETDIAG_TEST_VARIABLE_NEVER_SET})',
  ],
  'group-files': [
    'FILE:2:5: target_groups[0]: missing required key "files"',
    'FILE:3:12: target_groups[1].files: must list at least one file or pattern',
    'FILE:5:13: target_groups[2].files[0]: "inventory/*/hosts.json": patterns may only be used in the last path segment, as in Prometheus\' file_sd',
    'FILE:5:39: target_groups[2].files[1]: "inventory/hosts.txt" must end in .json, .yml, .yaml, as in Prometheus\' file_sd',
    'FILE:5:62: target_groups[2].files[2]: a file pattern must not be empty',
    'FILE:5:66: target_groups[2].files[3]: expected a string, got the number 7',
    'FILE:7:12: target_groups[3].files: expected a sequence, got the string "inventory.json"',
  ],
  'group-name-label': [
    'FILE:3:17: target_groups[0].name_label: name_label "__meta_netbox_name" must be a label name (^[a-zA-Z_][a-zA-Z0-9_]*$) not starting with __',
    'FILE:6:17: target_groups[1].name_label: name_label "device-name" must be a label name (^[a-zA-Z_][a-zA-Z0-9_]*$) not starting with __',
    'FILE:8:5: target_groups[2]: target enables no probe: add `ping: {}`, `knock: { port: N }` or `trace: {}`',
    'FILE:10:5: target_groups[2].pnig: unknown key "pnig"; allowed keys: files, name_label, family, labels, addresses, max_addresses, exclude_addresses, selection_key, ping, knock, trace',
  ],
  'group-no-probe': [
    'FILE:2:5: target_groups[0]: target enables no probe: add `ping: {}`, `knock: { port: N }` or `trace: {}`',
  ],
  'alias-bomb': [
    'FILE:8:14: targets[0].labels.b[0]: aliases expand too much: the limit is 100 copies of an anchor, nested copies multiplied',
  ],
  'bind-family-mismatch': [
    'FILE:2:9: bind.ipv4: 2001:db8::10 is an IPv6 address; it belongs in bind.ipv6',
    'FILE:3:9: bind.ipv6: 192.0.2.10 is an IPv4 address; it belongs in bind.ipv4',
  ],
  'bind-interface': [
    'FILE:1:20: bind.interface: interface name "a-very-long-interface-name" must be 1 to 15 characters long',
  ],
  'bind-invalid-ip': [
    'FILE:2:9: bind.ipv4: "192.0.2.300" is not an IPv4 address',
    'FILE:3:9: bind.ipv6: "2001:db8::g" is not an IPv6 address',
  ],
  'trace-pacing': [
    'FILE:2:49: targets[0].trace.pacing: must be a share of the interval from 0 (off) to 0.9, got 0.95',
    'FILE:3:49: targets[1].trace.pacing: must be a share of the interval from 0 (off) to 0.9, got -0.1',
    'FILE:4:49: targets[2].trace.pacing: expected a number, got the string "fast"',
    'FILE:5:49: targets[3].trace.pacing: must have at most 4 decimals, got 0.123456',
    'FILE:6:59: targets[4].trace.pacing: pacing 0.5 is not used with flows 8',
  ],
  'trace-budget': [
    'FILE:1:24: trace_budget.burst: must be an integer from 1 to 1000, got 0',
    'FILE:1:39: trace_budget.per_second: must be answers per second above 0, at most 10000, got 0',
    'FILE:1:42: trace_budget.rate: unknown key "rate"; allowed keys: burst, per_second',
  ],
  'trace-budget-values': [
    'FILE:1:24: trace_budget.burst: must be an integer from 1 to 1000, got 2.5',
    'FILE:1:41: trace_budget.per_second: expected a number, got the string "fast"',
  ],
  'buckets-empty': ['FILE:1:20: histogram_buckets: must list at least one bucket boundary'],
  'buckets-not-increasing': [
    'FILE:1:35: histogram_buckets[2]: bucket boundary 0.002 must be greater than the one before it, 0.002',
    'FILE:1:49: histogram_buckets[4]: bucket boundary 0.003 must be greater than the one before it, 0.004',
  ],
  'buckets-not-positive': [
    'FILE:2:5: histogram_buckets[0]: bucket boundary must be positive, got 0',
    'FILE:3:5: histogram_buckets[1]: bucket boundary must be positive, got -0.001',
    'FILE:4:5: histogram_buckets[2]: expected a number, got the string "1ms"',
    'FILE:5:5: histogram_buckets[3]: must be finite, got .inf',
  ],
  'cardinality-limit-type': ['FILE:1:20: cardinality_limit: expected an integer, got the string "10k"'],
  'cardinality-limit': ['FILE:1:20: cardinality_limit: must be an integer of at least 1, got 0'],
  'comments-only': ['FILE:1:1: (root): empty config'],
  'defaults-conflict': [
    'FILE:4:14: defaults.ping.timeout: timeout 3m exceeds 100 times interval 1s (built-in default)',
  ],
  'dns-retry': ['FILE:3:14: dns.retry_min: retry_min 10m exceeds retry_max 5m (built-in default)'],
  'duplicate-key': ['FILE:7:7: targets[0].ping.interval: duplicate key "interval" (first at line 5)'],
  'duplicate-target-name': ['FILE:8:11: targets[2].name: duplicate target name "gateway" (first at line 2)'],
  'duration-not-positive': [
    'FILE:5:17: targets[0].ping.interval: duration must be positive, got 0s',
    'FILE:6:16: targets[0].ping.timeout: duration must be positive, got -1s',
    'FILE:7:15: targets[0].ping.window: duration must be positive, got 0ms',
  ],
  'duration-out-of-range': [
    'FILE:4:23: targets[0].ping.interval: "500us" is not a duration: write a number and a unit (ms, s, m, h), e.g. 250ms, 1.5s, 1m30s',
    'FILE:4:39: targets[0].ping.timeout: duration 0.5ms is below the minimum of 1ms',
    'FILE:4:54: targets[0].ping.window: duration 25h is above the maximum of 24h',
  ],
  'duration-syntax': [
    'FILE:3:15: defaults.ping.interval: "1x" is not a duration: write a number and a unit (ms, s, m, h), e.g. 250ms, 1.5s, 1m30s',
    'FILE:4:14: defaults.ping.timeout: duration 1 has no unit: write e.g. 1s (units: ms, s, m, h)',
    'FILE:5:13: defaults.ping.window: duration 60 has no unit: write e.g. 60s (units: ms, s, m, h)',
    'FILE:10:17: targets[0].ping.interval: "1s1m" is not a duration: write a number and a unit (ms, s, m, h), e.g. 250ms, 1.5s, 1m30s',
    'FILE:11:16: targets[0].ping.timeout: "1 s" is not a duration: write a number and a unit (ms, s, m, h), e.g. 250ms, 1.5s, 1m30s',
    'FILE:12:15: targets[0].ping.window: expected a duration such as 1s, got a sequence',
  ],
  empty: ['FILE:1:1: (root): empty config'],
  family: [
    'FILE:2:47: targets[0].family: unknown family "ip4"; expected one of: auto, ipv4, ipv6, dual',
    'FILE:3:40: targets[1].family: family ipv6 needs an IPv6 host, but host 10.0.6.2 is an IPv4 address',
    'FILE:4:45: targets[2].family: family ipv4 needs an IPv4 host, but host 2001:db8::2 is an IPv6 address',
    'FILE:5:40: targets[3].family: family dual needs a DNS name with both A and AAAA records, but host 10.0.6.2 is an IPv4 address',
    'FILE:6:47: targets[4].family: unknown family "IPv4"; expected one of: auto, ipv4, ipv6, dual',
  ],
  'invalid-host': [
    'FILE:2:22: targets[0].host: host "10.0.6.256" is not a valid IPv4 address',
    'FILE:3:22: targets[1].host: host "2001:db8::g" is not a valid IPv6 address',
    'FILE:4:22: targets[2].host: host "gate way.example" is not an IP address or DNS name: it contains " "',
    'FILE:5:22: targets[3].host: host "gateway..example" is not an IP address or DNS name: it has an empty label',
    'FILE:6:22: targets[4].host: host "" is not an IP address or DNS name: it is empty',
    'FILE:8:11: targets[5].host: host "a123456789a123456789a123456789a123456789a123456789a123456789a..." is not an IP address or DNS name: it has a label of 64 characters, more than 63',
  ],
  'host-mistakes': [
    'FILE:2:22: targets[0].host: host "10.0.0.1:443" has a port where a host is expected: write "10.0.0.1" alone',
    'FILE:3:22: targets[1].host: host "[::1]:80" has a port where a host is expected: write "::1" alone',
    'FILE:4:22: targets[2].host: host "https://example.com/" is a URL where a host is expected: write "example.com" alone',
    'FILE:5:22: targets[3].host: host "gateway.example:8080" has a port where a host is expected: write "gateway.example" alone',
    'FILE:6:22: targets[4].host: host "[2001:db8::1]" is in brackets, which belong only in a URL or an address with a port: write "2001:db8::1" alone',
    'FILE:7:22: targets[5].host: host "http://[2001:db8::2]:8080/metrics" is a URL where a host is expected: write "2001:db8::2" alone',
  ],
  'knock-duplicate-port': [
    'FILE:9:17: targets[0].knock[2].port: duplicate knock port 443 (first at targets[0].knock[0].port, line 7)',
    'FILE:15:9: targets[1].knock[1]: duplicate knock port 443 (from defaults.knock.port, line 2; first at targets[1].knock[0], line 14)',
    'FILE:19:62: targets[2].knock[1].port: duplicate knock port 80 (first at targets[2].knock[0].port, line 19)',
  ],
  'knock-port-range': [
    'FILE:2:47: targets[0].knock.port: must be an integer from 1 to 65535, got 0',
    'FILE:3:47: targets[1].knock.port: must be an integer from 1 to 65535, got 65536',
    'FILE:4:47: targets[2].knock.port: expected an integer, got the string "http"',
    'FILE:5:62: targets[3].knock[1].port: must be an integer from 1 to 65535, got 44.5',
  ],
  'knock-port-required': [
    'FILE:5:39: targets[0].knock: port is required: set it in this block or in defaults.knock',
    'FILE:8:11: targets[1].knock: port is required: set it in this block or in defaults.knock',
    'FILE:13:9: targets[2].knock[1]: port is required: set it in this block or in defaults.knock',
  ],
  'knock-timing': [
    'FILE:4:64: targets[0].knock.timeout: timeout 2m exceeds 100 times interval 1s',
    'FILE:5:76: targets[1].knock[1].interval: window 10s (from defaults.knock.window, line 2) is shorter than interval 20s',
  ],
  'knock-wrong-types': [
    'FILE:2:39: targets[0].knock: expected a mapping or a sequence of mappings, got the number 443',
    'FILE:3:39: targets[1].knock: must list at least one knock block, e.g. { port: 443 }',
    'FILE:4:40: targets[2].knock[0]: expected a mapping, got the number 443',
    'FILE:5:61: targets[3].knock.interval: duration 5 has no unit: write e.g. 5s (units: ms, s, m, h)',
  ],
  'label-names': [
    'FILE:5:7: targets[0].labels.site-name: label name "site-name" must match ^[a-zA-Z_][a-zA-Z0-9_]*$',
    'FILE:6:7: targets[0].labels.1rack: label name "1rack" must match ^[a-zA-Z_][a-zA-Z0-9_]*$',
    'FILE:7:7: targets[0].labels.__meta: label name "__meta" is reserved: names starting with __ are internal',
    'FILE:8:7: targets[0].labels.target: label name "target" is reserved: the exporter sets it',
    'FILE:9:7: targets[0].labels.le: label name "le" is reserved: the exporter sets it',
    'FILE:10:7: targets[0].labels.job: label name "job" is reserved: the exporter sets it',
    'FILE:11:7: targets[0].labels[""]: label name "" must match ^[a-zA-Z_][a-zA-Z0-9_]*$',
  ],
  'label-values': [
    'FILE:5:12: targets[0].labels.site: expected a string, got null',
    'FILE:6:13: targets[0].labels.rack: label value must not be empty: Prometheus treats an empty value as no label',
    'FILE:7:13: targets[0].labels.tags: expected a string, got a sequence',
    'FILE:8:14: targets[0].labels.owner: expected a string, got a mapping',
  ],
  'missing-required': [
    'FILE:2:5: targets[0]: missing required key "name"',
    'FILE:4:5: targets[1]: missing required key "host"',
    'FILE:6:5: targets[2]: missing required key "name"',
    'FILE:6:5: targets[2]: missing required key "host"',
  ],
  'many-errors': [
    ...Array.from(
      { length: 100 },
      (_, i) => `FILE:${i + 3}:3: targets[${i}]: expected a mapping, got the number 1`,
    ),
    '… and 5 more errors',
  ],
  'long-key': [
    `FILE:2:1: ${'k'.repeat(300)}: unknown key "${'k'.repeat(61)}..."; allowed keys: defaults, bind, histogram_buckets, cardinality_limit, dns, labels, targets, target_groups, otlp, native_histograms, trace_budget`,
  ],
  'native-histograms-not-a-mapping': [
    'FILE:1:20: native_histograms: expected a mapping, got the string "on"',
  ],
  'native-histograms-range': [
    'FILE:2:18: native_histograms.bucket_factor: bucket factor must be greater than 1, got 1',
    'FILE:3:21: native_histograms.max_bucket_count: must be an integer from 1 to 10000, got 0',
    'FILE:4:23: native_histograms.min_reset_duration: duration must be positive, got 0s',
  ],
  'native-histograms-unknown-key': [
    'FILE:2:3: native_histograms.factor: unknown key "factor"; allowed keys: enabled, bucket_factor, max_bucket_count, min_reset_duration, classic_buckets_in_protobuf',
    'FILE:3:3: native_histograms.max_buckets: unknown key "max_buckets"; allowed keys: enabled, bucket_factor, max_bucket_count, min_reset_duration, classic_buckets_in_protobuf',
  ],
  'native-histograms-wrong-types': [
    'FILE:2:12: native_histograms.enabled: expected true or false, got the string "yes"',
    'FILE:3:18: native_histograms.bucket_factor: expected a number, got the string "1.1"',
    'FILE:4:21: native_histograms.max_bucket_count: must be an integer from 1 to 10000, got 1.5',
    'FILE:5:23: native_histograms.min_reset_duration: duration 60 has no unit: write e.g. 60s (units: ms, s, m, h)',
    'FILE:6:32: native_histograms.classic_buckets_in_protobuf: expected true or false, got the number 1',
  ],
  'multiple-documents': ['FILE:2:1: (root): invalid YAML: the config must be a single YAML document'],
  'no-probe': [
    'FILE:2:5: targets[0]: target enables no probe: add `ping: {}`, `knock: { port: N }` or `trace: {}`',
  ],
  'non-utf8': ['FILE:4:23: (root): file is not valid UTF-8: byte 0xFC at offset 68'],
  'otlp-endpoint': ['FILE:2:13: otlp.endpoint: "collector:4318" is not an http:// or https:// URL'],
  'otlp-endpoint-url': [
    'FILE:2:13: otlp.endpoint: "not a url" is not a URL: write e.g. http://collector:4318/v1/metrics',
  ],
  'otlp-maps': [
    'FILE:3:5: otlp.headers["bad header"]: header name "bad header" is not a valid HTTP header name',
    'FILE:4:20: otlp.headers.authorization: header value must not contain CR, LF or NUL',
    'FILE:5:13: otlp.headers.x-list: expected a string, got a sequence',
    'FILE:7:5: otlp.resource_attributes[""]: resource attribute key must not be empty',
    'FILE:8:10: otlp.resource_attributes.site: expected a string, got null',
  ],
  'otlp-not-a-mapping': ['FILE:1:7: otlp: expected a mapping, got the string "http://collector:4318"'],
  'otlp-timing': ['FILE:3:12: otlp.timeout: timeout 30s exceeds interval 10s'],
  'otlp-unknown-key': [
    'FILE:2:3: otlp.url: unknown key "url"; allowed keys: endpoint, interval, timeout, headers, resource_attributes',
    'FILE:3:3: otlp.temporality: unknown key "temporality"; allowed keys: endpoint, interval, timeout, headers, resource_attributes',
  ],
  'otlp-wrong-types': [
    'FILE:2:13: otlp.endpoint: expected a string, got the number 4318',
    'FILE:3:13: otlp.interval: duration 60 has no unit: write e.g. 60s (units: ms, s, m, h)',
    'FILE:4:12: otlp.headers: expected a mapping, got a sequence',
    'FILE:5:24: otlp.resource_attributes: expected a mapping, got the string "site=ams"',
  ],
  'probe-unknown-keys': [
    'FILE:2:12: defaults.knock.ports: unknown key "ports"; allowed keys: port, interval, timeout, window',
    'FILE:3:12: defaults.trace.hops: unknown key "hops"; allowed keys: protocol, port, interval, timeout, max_hops, flows, confidence, max_flows, probes, max_silent_hops, max_hop_addresses, pacing',
    'FILE:7:25: targets[0].knock[0].count: unknown key "count"; allowed keys: port, interval, timeout, window',
    'FILE:8:29: targets[0].trace.maxHops: unknown key "maxHops"; allowed keys: protocol, port, interval, timeout, max_hops, flows, confidence, max_flows, probes, max_silent_hops, max_hop_addresses, pacing',
    'FILE:9:5: targets[0].tarce: unknown key "tarce"; allowed keys: name, host, family, labels, addresses, max_addresses, exclude_addresses, selection_key, ping, knock, trace',
  ],
  'root-not-mapping': ['FILE:1:1: (root): expected a mapping, got a sequence'],
  'size-out-of-range': [
    'FILE:2:46: targets[0].ping.size: must be an integer from 8 to 65499, got 7',
    'FILE:3:46: targets[1].ping.size: must be an integer from 8 to 65499, got 65500',
    'FILE:4:46: targets[2].ping.size: must be an integer from 8 to 65499, got 56.5',
    'FILE:5:46: targets[3].ping.size: expected an integer, got the string "1kB"',
  ],
  'syntax-error': [
    'FILE:5:1: (root): invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
  ],
  'target-name-length': [
    'FILE:2:13: targets[0].name: target name must be 1 to 128 characters long, got 0',
    'FILE:3:11: targets[1].name: target name must be 1 to 128 characters long, got 129',
  ],
  'targets-not-a-list': ['FILE:2:3: targets: expected a sequence, got a mapping'],
  'timeout-exceeds-defaults': [
    'FILE:8:16: targets[0].ping.timeout: timeout 6s exceeds 100 times interval 50ms',
  ],
  'timeout-exceeds-interval': [
    'FILE:6:16: targets[0].ping.timeout: timeout 2s exceeds 100 times interval 10ms',
  ],
  'too-deep': ['FILE:8:129: (root): invalid YAML: collections nested deeper than 64 levels'],
  'trace-counts': [
    'FILE:5:14: targets[0].trace.flows: must be an integer from 1 to 64, got 0',
    'FILE:6:15: targets[0].trace.probes: must be an integer from 1 to 10, got 11',
    'FILE:7:24: targets[0].trace.max_silent_hops: must be an integer from 1 to 255, got 0',
    'FILE:8:26: targets[0].trace.max_hop_addresses: must be an integer from 1 to 1000, got 1001',
    'FILE:9:13: targets[0].trace.port: must be an integer from 1 to 65535, got 0',
    'FILE:10:48: targets[1].trace.flows: must be an integer from 1 to 64, got 65',
    'FILE:10:60: targets[1].trace.probes: must be an integer from 1 to 10, got 0',
    'FILE:10:80: targets[1].trace.max_silent_hops: must be an integer from 1 to 255, got 256',
    'FILE:10:91: targets[1].trace.port: must be an integer from 1 to 65535, got 65536',
  ],
  'trace-icmp-port': [
    'FILE:4:63: targets[0].trace.port: port 33434 is not used by protocol icmp',
    'FILE:6:47: targets[1].trace.port: port 53 is not used by protocol icmp (from defaults.trace.protocol, line 2)',
  ],
  'trace-max-hops': [
    'FILE:2:51: targets[0].trace.max_hops: must be an integer from 1 to 255, got 0',
    'FILE:3:51: targets[1].trace.max_hops: must be an integer from 1 to 255, got 256',
    'FILE:4:51: targets[2].trace.max_hops: expected an integer, got the string "thirty"',
  ],
  'trace-mda': [
    'FILE:2:53: targets[0].trace.confidence: must be a number from 0.5 to 0.99, got 0.999',
    'FILE:2:71: targets[0].trace.max_flows: must be an integer from 1 to 1024, got 2000',
    'FILE:3:63: targets[1].trace.confidence: confidence 0.9 is not used with flows 8',
    'FILE:4:52: targets[2].trace.max_flows: max_flows 5 is below the 6 flows a hop needs at confidence 0.95 (built-in default)',
    'FILE:5:53: targets[3].trace.confidence: expected a number, got the string "high"',
    'FILE:5:70: targets[3].trace.max_flows: must be an integer from 1 to 1024, got 0',
    'FILE:6:70: targets[4].trace.max_flows: max_flows 7 is below the 8 flows a hop needs at confidence 0.99',
    'FILE:7:53: targets[5].trace.confidence: must have at most 4 decimals, got 0.95555',
  ],
  'trace-protocol': [
    'FILE:2:51: targets[0].trace.protocol: unknown protocol "sctp"; expected one of: udp, tcp, icmp',
    'FILE:3:51: targets[1].trace.protocol: unknown protocol "UDP"; expected one of: udp, tcp, icmp',
    'FILE:4:51: targets[2].trace.protocol: expected a string, got the number 17',
  ],
  'trace-timing': [
    'FILE:2:35: defaults.trace.timeout: timeout 2s exceeds interval 1s',
    'FILE:4:65: targets[0].trace.timeout: timeout 20s exceeds interval 10s',
    'FILE:5:50: targets[1].trace.timeout: timeout 3s exceeds interval 1s (from defaults.trace.interval, line 2)',
  ],
  'unknown-alias': ['FILE:4:11: targets[0].ping: alias *fast refers to no anchor &fast before it'],
  'unknown-keys': [
    'FILE:1:1: target: unknown key "target"; allowed keys: defaults, bind, histogram_buckets, cardinality_limit, dns, labels, targets, target_groups, otlp, native_histograms, trace_budget',
    'FILE:4:11: defaults.ping.intervall: unknown key "intervall"; allowed keys: interval, timeout, size, window',
    'FILE:5:3: defaults.tcp: unknown key "tcp"; allowed keys: ping, knock, trace',
    'FILE:6:27: bind.address: unknown key "address"; allowed keys: ipv4, ipv6, interface',
    'FILE:7:8: dns.ttl: unknown key "ttl"; allowed keys: refresh, retry_min, retry_max',
    'FILE:11:5: targets[0].pnig: unknown key "pnig"; allowed keys: name, host, family, labels, addresses, max_addresses, exclude_addresses, selection_key, ping, knock, trace',
    'FILE:12:27: targets[0].ping.count: unknown key "count"; allowed keys: interval, timeout, size, window',
  ],
  'unknown-tag': ['FILE:3:11: (root): invalid YAML: Unresolved tag: !ip'],
  'window-below-interval': [
    'FILE:6:36: targets[0].ping.window: window 5s is shorter than interval 10s',
    'FILE:9:23: targets[1].ping.interval: window 30s (from defaults.ping.window, line 2) is shorter than interval 1m',
  ],
  'wrong-types': [
    'FILE:1:11: defaults: expected a mapping, got a sequence',
    'FILE:2:7: bind: expected a mapping, got the string "192.0.2.10"',
    'FILE:3:20: histogram_buckets: expected a sequence, got the number 0.1',
    'FILE:4:6: dns: expected a mapping, got the string "5m"',
    'FILE:6:11: targets[0].name: expected a string, got the number 42',
    'FILE:7:11: targets[0].host: expected a string, got a sequence',
    'FILE:8:13: targets[0].family: expected a string, got the boolean true',
    'FILE:9:13: targets[0].labels: expected a mapping, got the string "site=ams"',
    'FILE:10:11: targets[0].ping: expected a mapping, got the string "1s"',
    'FILE:11:5: targets[1]: expected a mapping, got the string "gateway"',
  ],
};

describe('invalid config fixtures', () => {
  it('has an expectation for every fixture and a fixture for every expectation', () => {
    const names = readdirSync(path.join(fixturesDir, 'invalid')).map((file) => path.basename(file, '.yaml'));
    assert.deepEqual(names.sort(), Object.keys(EXPECTED).sort());
  });

  it('keeps the non-UTF-8 fixture as raw bytes (a formatter must not re-encode it)', () => {
    assert.ok(readFileSync(fixturePath('invalid', 'non-utf8')).includes(0xfc));
  });

  for (const [name, lines] of Object.entries(EXPECTED)) {
    it(name, async () => {
      const file = fixturePath('invalid', name);
      const expected = lines.map((line) => line.replace(/^FILE:/, `${file}:`));
      const error = await loadConfig(file).then(
        () => assert.fail('expected a ConfigError'),
        (error: unknown) => error,
      );
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'ERR_CONFIG');
      assert.equal(error.message, expected.join('\n'));
      // A last line "… and N more errors" counts issues that are not listed.
      const more = /^… and (\d+) more errors?$/.exec(expected.at(-1) ?? '');
      const listed = more ? expected.slice(0, -1) : expected;
      assert.equal(error.omitted, more ? Number(more[1]) : 0);
      assert.deepEqual(
        error.issues.map(
          ({ file, line, column, path, message }) => `${file}:${line}:${column}: ${path}: ${message}`,
        ),
        listed,
      );
      for (const [index, issue] of error.issues.entries()) {
        const [, line, column] = /^FILE:(\d+):(\d+): /.exec(lines[index] ?? '') ?? [];
        assert.equal(issue.file, file);
        assert.equal(issue.line, Number(line));
        assert.equal(issue.column, Number(column));
      }
    });
  }
});
