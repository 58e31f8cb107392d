#!/usr/bin/env bash
# What `make test` needs beyond Python and npm: Redis (for the tests that run a real Celery worker), Debian's
# Chromium (browser tests), ClamAV's clamd (the malware scan tests start their own, never the system's) and OpenSSH's
# sshd with libnss-extrausers (the SFTP door's sshd test starts its own sshd as docker/sftp/ configures it; the system's
# is never started). Starts what is installed but stopped; installs what is missing when running as root with
# apt-get; otherwise says exactly what to install and fails.
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

# The sftp image's sshd (docker/sftp/Dockerfile), for the SFTP door's sshd test: its account names come from
# libnss-extrausers, which the name service asks after the system's own files (as in the image; /var/lib/extrausers
# stays empty but for the accounts a test writes there while it runs). That test needs root (sshd's ChrootDirectory),
# so without root nothing is installed and it is skipped. Installing openssh-server must not start a system SSH
# server: where no policy says so already, one is put in place for the install only.
have_extrausers() {
  for library in /usr/lib/libnss_extrausers.so.2 /usr/lib/*/libnss_extrausers.so.2 /lib/*/libnss_extrausers.so.2; do
    [ -e "$library" ] && return 0
  done
  return 1
}
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  if [ ! -x /usr/sbin/sshd ] || ! have_extrausers; then
    echo "ensure_services: installing OpenSSH's sshd and libnss-extrausers for the SFTP door's sshd test"
    temporary_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && temporary_policy=1
    fi
    apt_install openssh-server libnss-extrausers
    if [ -n "$temporary_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  fi
  mkdir -p /var/lib/extrausers /run/sshd
  touch /var/lib/extrausers/passwd /var/lib/extrausers/group
  for database in passwd group; do
    if ! grep -Eq "^${database}:.*\bextrausers\b" /etc/nsswitch.conf; then
      echo "ensure_services: adding extrausers to the ${database} line of /etc/nsswitch.conf"
      sed -i -E "s/^(${database}:.*)$/\1 extrausers/" /etc/nsswitch.conf
    fi
  done
fi
