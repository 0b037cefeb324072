FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
# Pango, HarfBuzz and a font for the PDF report (WeasyPrint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# Dependencies first (cached while pyproject.toml is unchanged), then the code.
COPY pyproject.toml README.md ./
RUN mkdir -p surveyplatform && touch surveyplatform/__init__.py \
    && pip install --no-cache-dir . && pip uninstall -y surveyplatform
COPY . .
RUN pip install --no-cache-dir --no-deps . \
    && bin/build \
    && useradd --system --no-create-home app \
    && mkdir -p /app/var/media && chown -R app /app/var
USER app
EXPOSE 8000
# Workers, threads, JSON logs and metrics: gunicorn.conf.py (WEB_CONCURRENCY, WEB_THREADS).
CMD ["gunicorn", "surveyplatform.wsgi:application", "--bind", "0.0.0.0:8000"]
