"""Logs an operator can search: one JSON object a line, each with its request's id.

Nothing secret reaches a log line: the token of a personal link (`/i/<token>/`) or of an
unsubscribe link is replaced by `[redacted]`, and an e-mail address by `[email]`, in every
message, exception, path, query string and referrer, Django's and gunicorn's alike.
Whoever holds a log file therefore holds no way into anybody's questionnaire.

- `RequestIdMiddleware` gives each request an id (a well-formed `X-Request-ID` from the
  proxy in front, else a new one), returns it in the response's `X-Request-ID`, and every
  log line written while the request is handled carries it.
- `JsonFormatter` and `TextFormatter` (LOG_FORMAT=json, the default with DEBUG off, or
  text) redact whatever they format.
- `GunicornLogger` (gunicorn.conf.py) writes the access log as JSON, redacted likewise.
"""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from django.core.signals import request_finished

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# The paths whose last segment is a secret: personal links and unsubscribe links.
_SECRET_SEGMENT = re.compile(r"(/(?:i|unsubscribe)/)[^/\s?#\"'&]+")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+=?^_`{|}~-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def redact(text: str) -> str:
    """Return the text with link tokens and e-mail addresses replaced."""
    if not text:
        return text
    return _EMAIL.sub("[email]", _SECRET_SEGMENT.sub(r"\1[redacted]", text))


class RequestIdMiddleware:
    """Give each request an id that its log lines and its response carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Left set until the request has finished: Django logs a 4xx/5xx response after
        # the middleware chain has returned, and that line belongs to this request too.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _forget_request_id(**kwargs) -> None:
    request_id_var.set("-")


request_finished.connect(_forget_request_id, dispatch_uid="surveyplatform.logs.request_id")


def _timestamp(created: float) -> str:
    return datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The usual one-line text, for development, redacted like the JSON."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = getattr(record, "request_id", None) or request_id_var.get()
        return redact(super().format(record))


try:
    from gunicorn.glogging import Logger as _GunicornBaseLogger
except ImportError:  # gunicorn is a production dependency; this keeps the import optional
    _GunicornBaseLogger = object


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logs as JSON: the access log one object a request, redacted."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(logging.Formatter("%(message)s"))

    def access(self, resp, req, environ, request_time) -> None:
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        status = str(atoms["s"])
        entry = {
            "time": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": redact(atoms["U"] or ""),
            "query": redact(atoms["q"] or ""),
            "status": int(status) if status.isdigit() else status,
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "referer": redact(atoms["f"]),
            "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o", "-"),
        }
        self.access_log.info("%s", json.dumps(entry, ensure_ascii=False))


def logging_config(*, log_format: str, level: str) -> dict:
    """Return Django's LOGGING: everything to stderr, formatted and redacted."""
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "surveyplatform.logs.JsonFormatter"},
            "text": {"()": "surveyplatform.logs.TextFormatter"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": formatter}},
        "root": {"handlers": ["console"], "level": level},
        # Django's own loggers propagate to the root, formatted the same way; the
        # development server's request lines too (they hold the paths of personal links).
        "loggers": {
            "django": {"handlers": [], "propagate": True, "level": level},
            "django.server": {"handlers": ["console"], "propagate": False, "level": "INFO"},
        },
    }
