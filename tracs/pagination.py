"""A paginator for lists that grow without bound (an account's access log: 100,000 rows in a few busy years),
whose page count is not worth counting every row on each request.

`WindowedPaginator` counts the rows only up to a window past the page asked for (`AHEAD` pages more), with one
`COUNT(*)` over a LIMITed subquery: the first page of a 100,000-row log counts 551 rows, not 100,000. The pager
then says "Page 1 of more than 11" and offers Next; each step forward moves the window with it, so every row can
still be reached, and the cost of a page grows with how deep it is, not with the length of the list."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class WindowedPaginator(Paginator):
    AHEAD = 10  # pages counted past the page asked for

    horizon: int | None = None  # rows counted at most (set by get_page); None: count them all

    def get_page(self, number) -> Page:
        try:
            asked = max(1, int(number))
        except (TypeError, ValueError):
            asked = 1
        self.horizon = (asked + self.AHEAD) * self.per_page
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        if self.horizon is None:
            return super().count
        window = self.object_list[: self.horizon + 1]
        return window.count() if isinstance(window, QuerySet) else len(window)

    @property
    def more(self) -> bool:
        """Whether there are rows past the window counted (the pager says "more than")."""
        return self.horizon is not None and self.count > self.horizon

    @property
    def pages_counted(self) -> int:
        """The pages known to be full or last, for "Page N of more than M"."""
        return self.horizon // self.per_page if self.more and self.horizon is not None else self.num_pages
