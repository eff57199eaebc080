"""What the tagging pool's forkserver loads once, before it forks any worker: imported only as its preload.

Importing this module loads the language model and every language's lemma
dictionary (about a second from the disk cache, :func:`nps.text.words.cache_dir`;
several on a cold one). The forkserver (:mod:`nps.text.tagging`) imports it when
it starts, so each worker it forks has them already, shared copy-on-write,
instead of loading them again in every worker of every pool. Nothing else
imports it.
"""

from __future__ import annotations

from nps.domain import LANGUAGES
from nps.text.language import prepare_language_detection
from nps.text.words import lemmatize

prepare_language_detection()
for _lang in LANGUAGES:
    lemmatize(["prewarm"], _lang)  # loads the language's dictionary
