/** Every metric name, in full Prometheus form (the Prometheus exporter adds no unit suffix). */
export const METRIC = {
  pingRtt: 'netdiag_ping_rtt_seconds',
  pingSent: 'netdiag_ping_sent_total',
  pingReceived: 'netdiag_ping_received_total',
  pingLoss: 'netdiag_ping_loss_ratio',
  pingJitter: 'netdiag_ping_jitter_seconds',
  probeErrors: 'netdiag_probe_errors_total',
  targets: 'netdiag_targets',
  targetAddresses: 'netdiag_target_addresses',
  reloadSuccessful: 'netdiag_config_last_reload_successful',
  reloadTimestamp: 'netdiag_config_last_reload_success_timestamp_seconds',
  eventLoopDelay: 'netdiag_event_loop_delay_seconds',
  socketPackets: 'netdiag_socket_packets_total',
} as const;
