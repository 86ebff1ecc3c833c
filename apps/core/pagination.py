from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`{count, next, previous, results}` with absolute `next`/`previous` links."""

    page_size_query_param = "page_size"
    max_page_size = 100
