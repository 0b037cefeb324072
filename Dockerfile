FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Pango, HarfBuzz and a font for the PDF report (WeasyPrint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY surveyplatform ./surveyplatform
COPY experiments ./experiments
COPY panel ./panel
COPY analysis ./analysis
RUN pip install --no-cache-dir -e .
COPY . .
RUN DEBUG=1 python manage.py collectstatic --no-input -v 0
EXPOSE 8000
# Workers and threads: gunicorn.conf.py (WEB_CONCURRENCY, WEB_THREADS).
CMD ["gunicorn", "surveyplatform.wsgi:application", "--bind", "0.0.0.0:8000"]
