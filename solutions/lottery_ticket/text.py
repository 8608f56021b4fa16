"""The course's own text pipeline for AG News: a tokenizer, a vocabulary and an encoder.

No torchtext (unmaintained, and its wheels no longer match current PyTorch): three small
functions, and the encoded dataset lives as one ``(N, max_len)`` int64 tensor per split,
so training draws batches by indexing, like the image chapters.

Index 0 is the padding token and index 1 the unknown token in every vocabulary.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import torch

from coursekit.data import load_ag_news
from coursekit.splits import Splits

PAD, UNK = "<pad>", "<unk>"

# AG News keeps HTML entities of its sources, some without their ampersand ("It#39;s", "quot;"):
# the apostrophe entity becomes an apostrophe, every other entity a space.
_APOSTROPHE = re.compile(r"&?#39;")
_ENTITY = re.compile(r"&?#\d+;|&[a-z]+;|\b(?:quot|amp|lt|gt);")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``: runs of letters and digits, with an apostrophe
    suffix kept on its word ("it's"); HTML entities (AG News writes an apostrophe as
    ``#39;``) and punctuation are dropped.

    >>> tokenize("Wall St. Bears Claw Back (Reuters) &lt;b&gt;It#39;s&lt;/b&gt; quot;up 3.5%quot;")
    ['wall', 'st', 'bears', 'claw', 'back', 'reuters', 'b', "it's", 'b', 'up', '3', '5']
    """
    return _TOKEN.findall(_ENTITY.sub(" ", _APOSTROPHE.sub("'", text.lower())))


@dataclass(frozen=True)
class Vocabulary:
    """Tokens by index (``itos``) and indices by token (``stoi``); 0 is padding, 1 unknown."""

    itos: tuple[str, ...]

    def __post_init__(self):
        if self.itos[:2] != (PAD, UNK):
            raise ValueError(f"a vocabulary starts with {PAD!r}, {UNK!r}; got {self.itos[:2]}")
        object.__setattr__(self, "stoi", {token: i for i, token in enumerate(self.itos)})

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def pad_index(self) -> int:
        return 0

    @property
    def unk_index(self) -> int:
        return 1


def build_vocab(texts: Iterable[str], max_size: int, min_freq: int = 1) -> Vocabulary:
    """The ``max_size`` entries (padding and unknown included) of the most frequent tokens of
    ``texts`` that occur at least ``min_freq`` times; ties in frequency are broken
    alphabetically, so the vocabulary does not depend on the order of the texts. Build it on
    the training split only: validation and test words must be able to be unknown."""
    if max_size < 2:
        raise ValueError("max_size must leave room for the padding and unknown tokens (>= 2)")
    counts = Counter(token for text in texts for token in tokenize(text))
    ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    return Vocabulary((PAD, UNK, *ranked[:max_size - 2]))


def encode(texts: Sequence[str], vocab: Vocabulary, max_len: int) -> torch.Tensor:
    """``(len(texts), max_len)`` int64 token indices: each text's first ``max_len`` tokens,
    unknown tokens as 1, padded with 0 at the end."""
    out = torch.zeros(len(texts), max_len, dtype=torch.int64)
    unk = vocab.unk_index
    for row, text in enumerate(texts):
        ids = [vocab.stoi.get(token, unk) for token in tokenize(text)[:max_len]]
        if ids:
            out[row, :len(ids)] = torch.tensor(ids, dtype=torch.int64)
    return out


def text_splits(n_val: int, vocab_size: int, max_len: int, n_train: int | None = None,
                n_test: int | None = None, seed: int = 0, root=None) -> tuple[Splits, Vocabulary]:
    """AG News as token tensors: ``n_val`` training texts (drawn with ``seed``) become the
    validation set, ``n_train`` of the others (default: all) the training set, the first
    ``n_test`` test texts (default: all) the test set. The vocabulary is built on the
    training texts only. A missing dataset raises :class:`coursekit.data.DatasetNotFoundError`."""
    train, test = load_ag_news(root)
    n = len(train)
    if not 0 < n_val < n:
        raise ValueError(f"n_val={n_val}: the validation set must take some, not all, of the {n:,} training texts")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    val_idx = order[:n_val]
    train_idx = order[n_val:] if n_train is None else order[n_val:n_val + n_train]
    n_test = len(test) if n_test is None else min(n_test, len(test))
    train_texts = [train.texts[i] for i in train_idx]
    vocab = build_vocab(train_texts, vocab_size)
    splits = Splits(train=(encode(train_texts, vocab, max_len), train.labels[train_idx]),
                    val=(encode([train.texts[i] for i in val_idx], vocab, max_len), train.labels[val_idx]),
                    test=(encode(test.texts[:n_test], vocab, max_len), test.labels[:n_test]),
                    classes=tuple(train.classes))
    return splits, vocab
