"""Where a page's time goes, in this process, without a profiler: the median request split into the middleware
(everything around the view: session, user, two-factor device, CSP, request id...), the database queries (all
of them, the middleware's included), the access-log write (its INSERT, also counted in the queries), template
rendering (less the queries a template runs lazily) and the rest of the view's Python; and the CPU time this process
spent on the request (the Python side of it all, without the database's: on a machine other work loads, the wall
times stretch with the load and this much less).

Measured with hooks that cost little (a query wrapper on the connection, a timer around Django's template render
and around the handler's view call), over `repeat` requests one after the other with Django's test client; each
part is the median of its own per-request figures, so the parts need not add up to the median total exactly. Queries
sent together (consent.sql.prefetched, ADR 0027) are counted one by one, but their one wait for the results comes at
the pipeline's end, in no query's execute: it shows as the view's Python."""

from __future__ import annotations

import statistics
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from unittest import mock

ACCESS_LOG_INSERT = 'INSERT INTO "accounts_accesslogentry"'


@dataclass(frozen=True)
class Split:
    total_ms: float
    cpu_ms: float  # this process's CPU time (time.process_time): steadier than wall time on a loaded machine
    middleware_ms: float
    queries: int
    queries_ms: float
    access_log_ms: float
    templates_ms: float
    view_python_ms: float

    def describe(self) -> str:
        return (
            f"total {self.total_ms:.1f} ms (this process's CPU {self.cpu_ms:.1f}) = middleware {self.middleware_ms:.1f} + view {self.total_ms - self.middleware_ms:.1f} "
            f"(queries {self.queries} in {self.queries_ms:.1f} ms, of which access-log write "
            f"{self.access_log_ms:.1f}; templates {self.templates_ms:.1f}; view Python {self.view_python_ms:.1f})"
        )


@dataclass
class _Request:
    total: float = 0.0
    cpu: float = 0.0
    view: float = 0.0
    queries: int = 0
    queries_time: float = 0.0
    queries_in_view: float = 0.0
    queries_in_templates: float = 0.0
    access_log: float = 0.0
    templates: float = 0.0
    in_view: bool = False
    in_template: int = 0


@contextmanager
def _hooks(current: list[_Request]):
    """Install the timers; `current[0]` is the request being measured."""
    from django.core.handlers.base import BaseHandler
    from django.db import connection
    from django.template.backends.django import Template

    def wrapper(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - start
            request = current[0]
            request.queries += 1
            request.queries_time += spent
            if request.in_view:
                request.queries_in_view += spent
            if request.in_template:
                request.queries_in_templates += spent
            if sql.startswith(ACCESS_LOG_INSERT):
                request.access_log += spent

    render = Template.render

    def timed_render(self, *args, **kwargs):
        request = current[0]
        request.in_template += 1
        start = time.perf_counter()
        try:
            return render(self, *args, **kwargs)
        finally:
            request.in_template -= 1
            if not request.in_template:  # only the outermost render: included templates are inside it
                request.templates += time.perf_counter() - start

    resolve_request = BaseHandler.resolve_request

    def timed_view(view):
        def timed(*args, **kwargs):
            request = current[0]
            request.in_view = True
            start = time.perf_counter()
            try:
                return view(*args, **kwargs)
            finally:
                request.view += time.perf_counter() - start
                request.in_view = False

        return timed

    def resolve_timing_the_view(self, request_):
        # The handler calls the match's func after process_view: timing it times the view alone (the handler's
        # middleware chain was built at start-up, so it cannot be wrapped from outside).
        match = resolve_request(self, request_)
        match.func = timed_view(match.func)
        return match

    with ExitStack() as stack:
        stack.enter_context(connection.execute_wrapper(wrapper))
        stack.enter_context(mock.patch.object(Template, "render", timed_render))
        stack.enter_context(mock.patch.object(BaseHandler, "resolve_request", resolve_timing_the_view))
        yield


def measure(client, path: str, *, repeat: int = 100, warmup: int = 5, form=None) -> Split:
    """The split of GET `path` (or the POST of `form`, a bench.harness.Form) with `client` (a django.test.Client,
    signed in or not), medians over `repeat`."""

    def send():
        return client.get(path) if form is None else client.post(path, form.fields)

    for _ in range(warmup):
        send()
    current = [_Request()]
    requests: list[_Request] = []
    with _hooks(current):
        for _ in range(repeat):
            current[0] = request = _Request()
            start, cpu = time.perf_counter(), time.process_time()
            response = send()
            request.total = time.perf_counter() - start
            request.cpu = time.process_time() - cpu
            if response.status_code != 200:
                raise RuntimeError(
                    f"{'GET' if form is None else 'POST'} {path}: status {response.status_code}"
                )
            requests.append(request)

    def median_ms(values) -> float:
        return statistics.median(values) * 1000

    return Split(
        total_ms=median_ms(r.total for r in requests),
        cpu_ms=median_ms(r.cpu for r in requests),
        middleware_ms=median_ms(r.total - r.view for r in requests),
        queries=round(statistics.median(r.queries for r in requests)),
        queries_ms=median_ms(r.queries_time for r in requests),
        access_log_ms=median_ms(r.access_log for r in requests),
        templates_ms=median_ms(r.templates - r.queries_in_templates for r in requests),
        view_python_ms=median_ms(
            r.view - r.queries_in_view - (r.templates - r.queries_in_templates) for r in requests
        ),
    )
