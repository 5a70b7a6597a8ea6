"""All the words of the guided tour, one module per language; ``TEXTS[lang]`` has the same keys in every language."""

from . import da, en

TEXTS = {"en": en.TEXT, "da": da.TEXT}
LANGUAGES = {"en": "English", "da": "Dansk"}
