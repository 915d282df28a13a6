"""Log records carry the request id; in production they are JSON lines."""

import logging

from pythonjsonlogger.json import JsonFormatter

from .request_context import request_id_var


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class ShopJsonFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, request id, and any extras."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)
