"""The signed-in home page against the floor: a bare Django view doing one query (bench/urls.py)."""

from bench.harness import Bench, Row

ORDER = 0


def run(bench: Bench) -> list[Row]:
    owner = bench.users["owner"]
    bare = bench.load("/bench/bare/")
    home = bench.load("/", cookies=bench.cookies_for(owner), expect_text=b"Welcome")
    return [Row.from_load("signed-in home page (owner)", home, "bare view, one query", bare)]
