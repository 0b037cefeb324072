"""The codebook of a research export: every variable of the tidy and the wide file, in
English and Welsh, as HTML and CSV.

The variables themselves are defined in the domain (`experiments.variables`), which the
response import reads too; their names are re-exported here for the export modules.
"""

import csv
import io
from dataclasses import replace

from django.template.loader import render_to_string

from experiments.variables import (
    CODED,
    DATETIME,
    FLOAT,
    INTEGER,
    STRING,
    Scope,
    ThemeInfo,
    Variable,
    activity_variable,
    theme_item_fields,
    tidy_variables,
    wide_variables,
)

__all__ = [
    "CODED",
    "DATETIME",
    "FLOAT",
    "INTEGER",
    "STRING",
    "Scope",
    "ThemeInfo",
    "Variable",
    "codebook_rows",
    "render_codebook_csv",
    "render_codebook_html",
    "theme_item_fields",
    "tidy_variables",
    "wide_variables",
]

CODEBOOK_COLUMNS = [
    "file",
    "variable",
    "type",
    "measure",
    "question_en",
    "question_cy",
    "codes_en",
    "codes_cy",
    "missing_en",
    "missing_cy",
    "theme",
    "waves",
    "derivation",
]


def missing_text(variable: Variable, language: str) -> str:
    """Return the codes the Stata and SPSS files declare missing, with Stata's value."""
    return "; ".join(
        f"{code} = {reason.text(language)} (Stata .{reason.stata})"
        for code, reason in variable.declared_missing()
    )


def codebook_rows(scope: Scope) -> list[dict[str, str]]:
    """Return one codebook row per variable of the tidy and the wide file.

    The tidy file's theme questions and activities hold every theme's answers, so each
    theme's wording of them follows, with the waves that asked it.
    """
    themes = {theme.id: theme for theme in scope.themes}
    wave_titles = {wid: title for wid, title, _c in scope.waves}

    def row(
        file: str, variable: Variable, theme: ThemeInfo | None, waves: tuple[int, ...] = ()
    ) -> dict[str, str]:
        if not waves:
            waves = scope.wave_themes.get(theme.id, ()) if theme else tuple(wave_titles)
        return {
            "file": file,
            "variable": variable.name,
            "type": variable.kind,
            "measure": variable.measure,
            "question_en": variable.label_en,
            "question_cy": variable.label_cy,
            "codes_en": "; ".join(f"{code} = {en}" for code, en, _cy in variable.codes),
            "codes_cy": "; ".join(f"{code} = {cy}" for code, _en, cy in variable.codes),
            "missing_en": missing_text(variable, "en"),
            "missing_cy": missing_text(variable, "cy"),
            "theme": theme.name_en if theme else "",
            "waves": "; ".join(wave_titles[w] for w in waves if w in wave_titles),
            "derivation": variable.derivation,
        }

    tidy = tidy_variables(scope)
    rows = [row("tidy", variable, None) for variable in tidy]
    items = {variable.name: variable for variable in tidy}
    for theme in scope.themes:
        for model_field in theme_item_fields():
            for (english, welsh), waves in scope.wordings_of(
                model_field.name, theme_id=theme.id
            ).items():
                worded = replace(items[model_field.name], label_en=english, label_cy=welsh)
                rows.append(row("tidy", worded, theme, tuple(waves)))
        for position, (_aid, english, welsh) in enumerate(theme.activities, start=1):
            activity = activity_variable(
                f"act{position}", (english, welsh), source=f"act{position}", position=position
            )
            rows.append(row("tidy", activity, theme))
    rows += [
        row("wide", variable, themes.get(variable.theme_id)) for variable in wide_variables(scope)
    ]
    return rows


def render_codebook_csv(scope: Scope, *, guard) -> bytes:
    """Return the codebook as UTF-8 CSV with a byte-order mark, text cells guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CODEBOOK_COLUMNS)
    for entry in codebook_rows(scope):
        writer.writerow([guard(entry[column]) for column in CODEBOOK_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_codebook_html(scope: Scope) -> bytes:
    """Return the codebook as a self-contained HTML page."""
    html = render_to_string(
        "analysis/exports/codebook.html",
        {"rows": codebook_rows(scope), "scope": scope, "columns": CODEBOOK_COLUMNS},
    )
    return html.encode("utf-8")
