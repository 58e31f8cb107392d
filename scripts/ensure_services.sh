#!/usr/bin/env bash
# What `make test` needs beyond Python and npm: Redis (for the tests that run a real Celery worker), Debian's
# Chromium (browser tests) and ClamAV's clamd (the malware scan tests start their own, never the system's). Starts what is installed but stopped; installs what is missing when
# running as root with apt-get; otherwise says exactly what to install and fails.
set -euo pipefail

apt_updated=""
apt_install() {
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
    echo "ensure_services: please install $* (Debian/Ubuntu: sudo apt-get install -y $*)" >&2
    exit 1
  fi
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

redis_url="${CELERY_TEST_BROKER_URL:-redis://127.0.0.1:6379/15}"
if ! (command -v redis-cli >/dev/null && redis-cli -u "$redis_url" ping >/dev/null 2>&1); then
  command -v redis-server >/dev/null || apt_install redis-server
  echo "ensure_services: starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -u "$redis_url" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -u "$redis_url" ping >/dev/null
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "ensure_services: installing Debian's Chromium for the browser tests"
  apt_install chromium
fi

if ! command -v clamd >/dev/null && [ ! -x /usr/sbin/clamd ]; then
  echo "ensure_services: installing Debian's clamav-daemon (clamd) for the malware scan tests"
  apt_install clamav-daemon
fi
