"""All the words of the app in each language besides English.

``TEXTS[lang]``: the guided tour's prose, the same keys in every language. ``MESSAGES[lang]``: every other phrase of
the app, keyed by its English text (``ui.i18n.tr``); English needs no table, its keys are its catalogue.
"""

from . import da, en

TEXTS = {"en": en.TEXT, "da": da.TEXT}
MESSAGES = {"da": da.MESSAGES}
LANGUAGES = {"en": "English", "da": "Dansk"}
