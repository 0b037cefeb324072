"""Filters of the respondent pages: names and titles in the page's language."""

from django import template

register = template.Library()


@register.filter
def name_in(council, language: str) -> str:
    """The council's name in the language (its English name where there is no Welsh one)."""
    return council.name_in(language) if council is not None else ""


@register.filter
def title_in(wave, language: str) -> str:
    """The wave's title in the language (its English title where there is no Welsh one)."""
    return wave.title_in(language) if wave is not None else ""
