"""Run the exporter in a fresh process and print time and peak memory as one JSON line."""

import argparse
import importlib
import json
import os
import tempfile
import time

import django

from bench.memory import peak_mb, reset_peak

# PLACEHOLDER until the platform exporter (issue 7) lands: point this at it then.
EXPORTER = "bench.export_probe:placeholder_csv_export"


def placeholder_csv_export(*, table: str, rows: int, path: str) -> None:
    """PLACEHOLDER exporter: read the rows into pandas and write them with to_csv."""
    import pandas as pd
    from django.db import connection

    with connection.cursor() as cursor:
        query = f"SELECT * FROM {table} WHERE response_id <= %s ORDER BY response_id"
        cursor.execute(query, [rows])
        columns = [c.name for c in cursor.description]
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    frame.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--table", required=True)
    args = parser.parse_args()
    django.setup()
    module_name, _, attr = EXPORTER.partition(":")
    exporter = getattr(importlib.import_module(module_name), attr)
    rest = reset_peak()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "export.csv")
        started = time.perf_counter()
        exporter(table=args.table, rows=args.rows, path=path)
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rest_rss_mb": rest,
                "peak_rss_mb": peak_mb(),
                "exporter": EXPORTER,
            }
        )
    )


if __name__ == "__main__":
    main()
