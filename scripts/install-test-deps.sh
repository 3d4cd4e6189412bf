#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those missing, and nothing else: no service is
# started or stopped by this script, no npm install is run. Safe on a workstation; .ci/run uses it too.
#
#   sudo bash scripts/install-test-deps.sh           # install what is missing
#   bash scripts/install-test-deps.sh --check        # list what is missing, exit 1 if anything is
set -euo pipefail

# python3, make, g++: node-gyp builds the raw-socket addon during npm ci.
# nftables: loss injection and counters in the lab; iproute2: namespaces, veth pairs, routes, tc (delay links without a qdisc);
# iputils-ping and traceroute: the references the ping and trace tests compare with;
# tcpdump: captures in end-to-end tests; prometheus: the real scraper (and promtool);
# libcap2-bin: setcap/capsh for the image tests; curl, openssl: the TLS tests of --web.config.file;
# golang-go + sprig + ghodss-yaml: test/tools/helmrender (the Helm chart tests' renderer);
# systemd: systemd-analyze verify of deploy/systemd (util-linux's setpriv runs its credentials);
# yamllint: the Helm chart's values.yaml and Chart.yaml under chart-testing's lint rules (ct lint);
# dnsmasq-base: the real DNS server of the lab (test/lab/dns-server.ts) whose records the addresses: all
# and mesh tests add and remove while the exporter runs;
# chromium: the status page's browser test and benchmark drive it headless through puppeteer-core,
# which downloads no browser of its own.
# mtr-tiny: bench/trace-pacing.ts sets `mtr -r` (UDP and -T) beside the paced trace's per-hop loss.
packages=(python3 make g++ nftables iproute2 iputils-ping traceroute tcpdump prometheus libcap2-bin curl openssl
  golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev systemd util-linux yamllint dnsmasq-base
  chromium mtr-tiny)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "test dependencies: all ${#packages[@]} packages installed"
  exit 0
fi
echo "test dependencies missing: ${missing[*]}"
if [ "${1:-}" = "--check" ]; then exit 1; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo bash $0) to install them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian's prometheus package starts its own service on :9090 where systemd runs; it is left as is
# (the tests start their own Prometheus); stop it yourself if you do not want it.
