import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # allauth's rate-limit counters live in the (process-wide) locmem cache
    yield
    cache.clear()
