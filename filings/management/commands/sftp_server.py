"""TRACS's SFTP server for marked-fuel files (filings/sales/sftp/server.py): `make run` starts it beside the web
server and the Celery worker. Listens on TRACS_SFTP_BIND:TRACS_SFTP_PORT (options override them) until stopped
(SIGTERM or Ctrl-C), then finishes what it was doing (a pickup, a log row) before it exits."""

from __future__ import annotations

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from filings.sales.sftp import server


class Command(BaseCommand):
    help = "Serve the SFTP door of marked-fuel files (inbox/ and outbox/ of each TEFS account)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.TRACS_SFTP_BIND)
        parser.add_argument("--port", type=int, default=settings.TRACS_SFTP_PORT)

    def handle(self, *args, bind: str, port: int, **options):
        asyncio.run(self._serve(bind, port))

    async def _serve(self, bind: str, port: int) -> None:
        door = server.Door()
        acceptor = await server.serve(host=bind, port=port, door=door)
        self.stdout.write(
            f"SFTP server on {bind}:{server.bound_port(acceptor)} (files under {settings.TRACS_SFTP_ROOT})"
        )
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
        acceptor.close()
        await acceptor.wait_closed()
        await door.drain()
        door.close()
