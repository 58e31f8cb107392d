#!/bin/sh
# The sftp service (docker-compose.yml): keeps the system accounts sshd needs in line with TRACS's SFTP keys (every
# minute, libnss-extrausers' passwd), then runs sshd in the foreground. The host key lives on its own volume.
set -eu
# sshd runs the AuthorizedKeysCommand with an almost empty environment: the service's own (docker-compose.yml's
# portal environment: the database, the secret key) is handed to it in this file, which only root and the command's
# user (tracs) read. Names that belong to this shell, not to TRACS, are left out.
mkdir -p /run/tracs-sftp
(umask 027 && export -p | grep -Ev '^export (HOME|USER|LOGNAME|PWD|OLDPWD|SHLVL|_)=' > /run/tracs-sftp/environment)
chgrp tracs /run/tracs-sftp/environment
install -d -o tracs -g tracs -m 0700 /run/tracs-sftp/answers  # the command's answers within one sign-in
test -f /etc/ssh/keys/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/keys/ssh_host_ed25519_key
sync_accounts() {
  python /app/manage.py sftp_passwd --chown --gid 20000 --outbox-uid "$(id -u tracs)" > /var/lib/extrausers/passwd.new \
    && mv /var/lib/extrausers/passwd.new /var/lib/extrausers/passwd
}
sync_accounts
(while sleep 60; do sync_accounts || true; done) &
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
