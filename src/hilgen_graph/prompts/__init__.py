"""Prompt templates (data files under ``templates/``), loaded by name with a version hash."""

from hilgen_graph.prompts.loader import (
    FAMILIES,
    FAMILY_LAYERS,
    PROMPTS_DIR_ENV,
    VARIABLES,
    PromptTemplate,
    list_templates,
    load_template,
    load_templates,
    parse_template,
    template_dirs,
)

__all__ = [
    "FAMILIES",
    "FAMILY_LAYERS",
    "PROMPTS_DIR_ENV",
    "VARIABLES",
    "PromptTemplate",
    "list_templates",
    "load_template",
    "load_templates",
    "parse_template",
    "template_dirs",
]
