#!/bin/sh
# The sftp service (docker-compose.yml): keeps the system accounts sshd needs in line with TRACS's SFTP keys (every
# minute, libnss-extrausers' passwd), then runs sshd in the foreground. The host key lives on its own volume.
set -eu
test -f /etc/ssh/keys/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/keys/ssh_host_ed25519_key
sync_accounts() {
  python /app/manage.py sftp_passwd --chown --gid 20000 > /var/lib/extrausers/passwd.new \
    && mv /var/lib/extrausers/passwd.new /var/lib/extrausers/passwd
}
sync_accounts
(while sleep 60; do sync_accounts || true; done) &
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
