"""The per-user limits table: its key, its TTL attribute, and the upload-request counters it holds.

The storage component declares the table with these names; the API handler counts each user's
``POST /sessions`` per calendar minute in one item per user and minute.
"""

#: The table's only key (a string) and the attribute its TTL removes items by (epoch seconds).
LIMITS_TABLE_KEY = "counterId"
LIMITS_TABLE_TTL_ATTRIBUTE = "expiresAt"
#: The counted number of requests in a counter item.
REQUESTS_ATTRIBUTE = "requests"


def upload_requests_counter_id(user_id: str, minute: str) -> str:
    """The key of ``user_id``'s upload-request counter for one minute (``yyyymmddTHHMMZ``, UTC)."""
    return f"upload-requests#{user_id}#{minute}"
