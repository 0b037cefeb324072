"""Prometheus metrics at /metrics, for the operator (prometheus-client).

- Request latency by view (the URL pattern's name, never the path, which may hold a
  token), method and status class: a histogram kept by `MetricsMiddleware`. Under
  gunicorn every worker process writes its samples to PROMETHEUS_MULTIPROC_DIR
  (gunicorn.conf.py sets it up) and a scrape adds them up.
- Read from Postgres at each scrape, so that every host and worker reports the same
  numbers and none is lost with a process: the outbox backlog (jobs not yet done) and
  the age of its oldest job, jobs by kind and state (outbox, analysis runs, exports),
  e-mails by delivery status, and completed responses. Each is one indexed count.

Who may read it: addresses in METRICS_ALLOWED_NETWORKS (loopback by default, as the
client address is seen through TRUSTED_PROXY_HOPS), or a request carrying
`Authorization: Bearer <METRICS_TOKEN>`. Anyone else gets 404.
"""

import hmac
import ipaddress
import os
import time

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ratelimits.limits import client_ip

REQUEST_DURATION = Histogram(
    "surveyplatform_request_duration_seconds",
    "Time to answer a request, by view, method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class MetricsMiddleware:
    """Time every request and file it under its view's name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else "unresolved"
        REQUEST_DURATION.labels(
            view=view, method=request.method, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response


def _model(name: str):
    """Find a model by class name, wherever its app keeps it (apps move; names stay)."""
    return next(model for model in apps.get_models() if model.__name__ == name)


class DatabaseCollector:
    """The figures every process agrees on, read from Postgres at scrape time."""

    def collect(self):
        outbox = _model("OutboxMessage")
        unfinished = outbox.objects.filter(status__in=["pending", "sent"])
        oldest = unfinished.aggregate(oldest=Min("created_at"))["oldest"]
        backlog = GaugeMetricFamily(
            "surveyplatform_outbox_backlog", "Background jobs recorded but not yet done."
        )
        backlog.add_metric([], unfinished.count())
        yield backlog
        age = GaugeMetricFamily(
            "surveyplatform_outbox_oldest_age_seconds",
            "Age of the oldest background job not yet done (0 when none waits).",
        )
        age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        yield age

        jobs = GaugeMetricFamily(
            "surveyplatform_jobs", "Jobs by kind and state.", labels=["kind", "state"]
        )
        counts = dict(
            unfinished.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
        )
        counts["failed"] = outbox.objects.filter(status="failed").count()
        for state in ("pending", "sent", "failed"):
            jobs.add_metric(["outbox", state], counts.get(state, 0))
        for kind, name in (("analysis", "AnalysisRun"), ("export", "Export")):
            by_state = dict(
                _model(name).objects.values_list("status").annotate(n=Count("pk")).order_by()
            )
            for state in ("pending", "running", "done", "failed"):
                jobs.add_metric([kind, state], by_state.get(state, 0))
        yield jobs

        emails = CounterMetricFamily(
            "surveyplatform_emails", "E-mails by delivery status.", labels=["status"]
        )
        delivery = _model("EmailDelivery")
        by_status = dict(delivery.objects.values_list("status").annotate(n=Count("pk")).order_by())
        for status, _ in delivery._meta.get_field("status").choices:
            emails.add_metric([status], by_status.get(status, 0))
        yield emails

        completions = CounterMetricFamily(
            "surveyplatform_respondent_completions", "Questionnaires sent complete."
        )
        completions.add_metric([], _model("Response").objects.filter(status="complete").count())
        yield completions


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in (REGISTRY,):
            registry.register(collector)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
