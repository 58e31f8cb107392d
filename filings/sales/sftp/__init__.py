"""The SFTP door of marked-fuel files (issue 14, item 9; docs/sftp.md).

An owner of a marked-fuel (TEFS) account registers an SSH public key for a person who may report fuel
transactions on it (keys.py); that person signs in with the account number as user name, lands in the account's
own directory (inbox/ and outbox/, nothing else: inbox.py) and puts files in inbox/. A file is picked up once it is
complete (closed under its final name, renamed from a temporary name, or, for a server that cannot say, unchanged
for a while), handed to the one ingestion service (filings.sales.ingestion) and answered by an acknowledgement
file in outbox/, as in the portal. The server for `make run` and the tests is asyncssh's (server.py); production
may run OpenSSH's sshd over the same directories and keys (docker-compose.yml, docs/sftp.md).
"""
