"""The statistics modules are plain Python over pandas: they import no Django model."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

STATISTICS_MODULES = (
    "analysis.tables",
    "analysis.inference",
    "analysis.diagnostics",
    "analysis.robustness",
    "analysis.indices",
    "analysis.plan",
    "analysis.power",
    "analysis.results",
    "analysis.quality",
    "analysis.charts",
    "analysis.report",
    "analysis.verdicts",
    "analysis.preregistration",
)

PROBE = """
import importlib, json, sys
loaded = {}
for name in sys.argv[1:]:
    before = set(sys.modules)
    importlib.import_module(name)
    loaded[name] = sorted(set(sys.modules) - before)
print(json.dumps(loaded))
"""


def test_no_statistics_module_imports_a_django_model_or_the_orm():
    # given a Python without Django settings, where importing any model would fail
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    result = subprocess.run(
        [sys.executable, "-c", PROBE, *STATISTICS_MODULES],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    apps = {path.parent.name for path in Path(settings.BASE_DIR).glob("*/apps.py")}
    for module, imported in loaded.items():
        models = [
            name
            for name in imported
            if name.startswith(("django.db", "django.contrib"))
            or (name.split(".")[0] in apps and ".models" in f"{name}.")
        ]
        assert models == [], f"{module} imports {models}"
