"""The ceiling of the respondent benchmark: the least a Django POST can do and still store.

Mounted only when the environment sets BENCH_CEILING=1 (see surveyplatform/urls.py); it
runs behind the same middleware, settings and gunicorn as the real pages, and inserts one
row into Postgres per POST, so the respondent cycle can be compared with it in one run.
"""
