"""Datasets of the course, loaded into tensors with one function per dataset.

Every loader returns ``(train, test)``::

    from coursekit.data import load_fashion_mnist
    train, test = load_fashion_mnist()
    train.images.shape, train.images.dtype   # (60000, 28, 28), torch.uint8
    train.labels.dtype                       # torch.int64
    train.classes[train.labels[0]]           # 'Ankle boot'

=================  ===============================  ==========================================
dataset            loader                           what ``train``/``test`` hold
=================  ===============================  ==========================================
MNIST              :func:`load_mnist`               :class:`Split`, images ``N×28×28`` uint8
Fashion-MNIST      :func:`load_fashion_mnist`       :class:`Split`, images ``N×28×28`` uint8
CIFAR-10           :func:`load_cifar10`             :class:`Split`, images ``N×3×32×32`` uint8
AG News            :func:`load_ag_news`             :class:`TextSplit`, texts and labels 0..3
=================  ===============================  ==========================================

Images stay ``uint8`` (0..255): convert them yourself, e.g. ``x = images.float() / 255``.
That keeps a whole dataset small enough to live on the GPU. The image loaders also take
``numpy=True``: the :class:`Split` then holds NumPy arrays instead of tensors
(``Split[np.ndarray]`` rather than ``Split[torch.Tensor]``) and PyTorch is not imported.

**Where the files live.** All datasets sit under one *data root* (:func:`data_root`): the
``root`` argument, else the environment variable ``COURSE_DATA``, else
``~/.cache/dl-course/data``. Run ``python -m coursekit where`` to see what is there.

**Downloads are off by default.** A loader downloads a missing dataset only when you pass
``download=True`` or set ``COURSE_ALLOW_DOWNLOAD=1``; otherwise it raises
:class:`DatasetNotFoundError`, whose message lists the folders it looked in and the command
that fixes it. Fashion-MNIST also works offline on Debian/Ubuntu: it comes from the Debian
package ``dataset-fashion-mnist`` (``python -m coursekit fetch fashion-mnist``).

**Synthetic data.** :func:`write_synthetic_mnist`, :func:`write_synthetic_cifar10` and
:func:`write_synthetic_ag_news` write small, learnable fake datasets in the *real* on-disk
formats, so that the real loaders can be tested in seconds without the real files.

**The modules.** Import everything from ``coursekit.data``; the code is split by concern:

=============================  ===========================================================
``coursekit.data.root``        :func:`data_root`, :func:`download_allowed`, the Debian folders
``coursekit.data.errors``      the exceptions and the helpers that write their messages
``coursekit.data.splits``      :class:`Split`, :class:`TextSplit`
``coursekit.data.idx``         MNIST and Fashion-MNIST (idx files)
``coursekit.data.cifar``       CIFAR-10 (restricted unpickler of the python batches)
``coursekit.data.ag_news``     AG News (checksummed CSV download and reader)
``coursekit.data.fetch``       :func:`fetch_fashion_mnist` (the Debian package)
``coursekit.data.synthetic``   the ``write_synthetic_*`` functions and :func:`is_synthetic`
``coursekit.data.registry``    :data:`DATASETS`, :func:`canonical_name`, :func:`load`, :func:`present`
=============================  ===========================================================

The constants (class names, file names, URLs, the Debian folders, ``AG_NEWS_SHA256``) are
re-exported here for reading; each is looked up in the module that defines it, so a test
that replaces one patches that module (for example
``monkeypatch.setattr(coursekit.data.root, "DEBIAN_FASHION_MNIST", folder)``, or
``coursekit.data.ag_news.AG_NEWS_SHA256``): replacing ``coursekit.data.NAME`` has no effect.
``import coursekit.data`` does not import PyTorch or torchvision: PyTorch is imported on
first use, torchvision only to download.
"""
from __future__ import annotations

# Besides the names in __all__, these imports re-export the constants (class names, file names,
# URLs, Debian folders), PathLike and ArrayT, and _AG_VOCAB, which code and tests read as
# coursekit.data.NAME; __all__ itself is unchanged from the single-module coursekit/data.py.
from .ag_news import AG_NEWS_CLASSES, AG_NEWS_DIR, AG_NEWS_SHA256, AG_NEWS_URLS, load_ag_news
from .cifar import CIFAR10_CLASSES, CIFAR10_DIR, CIFAR10_FILES, CIFAR10_MD5, CIFAR10_URL, load_cifar10
from .errors import DatasetCorruptError, DatasetNotFoundError, FetchError
from .fetch import fetch_fashion_mnist
from .idx import FASHION_MNIST_CLASSES, IDX_FILES, MNIST_CLASSES, load_fashion_mnist, load_mnist
from .registry import DATASETS, canonical_name, load, present
from .root import DEBIAN_FASHION_MNIST, DEBIAN_PACKAGE, DEBIAN_SUBDIR, PathLike, data_root, download_allowed
from .splits import ArrayT, Split, TextSplit
from .synthetic import (_AG_VOCAB, is_synthetic, write_synthetic_ag_news, write_synthetic_cifar10,
                        write_synthetic_mnist)

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "DatasetCorruptError",
    "FetchError",
    "Split",
    "TextSplit",
    "data_root",
    "download_allowed",
    "canonical_name",
    "load",
    "load_mnist",
    "load_fashion_mnist",
    "load_cifar10",
    "load_ag_news",
    "fetch_fashion_mnist",
    "present",
    "is_synthetic",
    "write_synthetic_mnist",
    "write_synthetic_cifar10",
    "write_synthetic_ag_news",
]
