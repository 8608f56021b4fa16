"""Tests of coursekit.data: the real loaders run on synthetic files in the real on-disk formats."""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import pickle
import shutil
import struct
import subprocess
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from coursekit import data
from coursekit.__main__ import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No test sees the user's data, the real Debian folder, or downloads switched on."""
    monkeypatch.delenv("COURSE_DATA", raising=False)
    monkeypatch.delenv("COURSE_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(data.root, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian-here")


def _no_network(*args, **kwargs):
    raise AssertionError("a download was attempted although downloads are off")


# --------------------------------------------------------------------------- data root, flags


def test_data_root_precedence(monkeypatch, tmp_path):
    assert data.data_root() == tmp_path / "home" / ".cache" / "dl-course" / "data"
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "env"))
    assert data.data_root() == tmp_path / "env"
    assert data.data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data.data_root(str(tmp_path / "arg")) == tmp_path / "arg"
    assert not (tmp_path / "arg").exists()  # looking up the root creates nothing


def test_download_allowed(monkeypatch):
    assert data.download_allowed() is False
    monkeypatch.setenv("COURSE_ALLOW_DOWNLOAD", "1")
    assert data.download_allowed() is True
    assert data.download_allowed(False) is False
    monkeypatch.setenv("COURSE_ALLOW_DOWNLOAD", "0")
    assert data.download_allowed() is False
    assert data.download_allowed(True) is True


def test_import_does_not_load_torchvision():
    code = "import sys, coursekit.data; assert 'torchvision' not in sys.modules, 'torchvision imported'"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name,kind,loader,classes", [
    ("mnist", "MNIST", data.load_mnist, data.MNIST_CLASSES),
    ("fashion-mnist", "FashionMNIST", data.load_fashion_mnist, data.FASHION_MNIST_CLASSES),
])
def test_idx_round_trip(tmp_path, name, kind, loader, classes):
    root = data.write_synthetic_mnist(tmp_path, kind=kind, n_train=120, n_test=30, seed=1)
    train, test = loader(root)
    assert train.images.shape == (120, 28, 28) and test.images.shape == (30, 28, 28)
    for split in (train, test):
        assert split.images.dtype == torch.uint8 and split.labels.dtype == torch.int64
        assert 0 <= int(split.labels.min()) and int(split.labels.max()) <= 9
        assert split.classes == classes
    assert set(train.labels.tolist()) == set(range(10))
    assert int(train.images.max()) > 200 and int(train.images.min()) < 50
    # the header is big-endian with the idx magic numbers
    raw = tmp_path / kind / "raw"
    assert (raw / "train-images-idx3-ubyte").read_bytes()[:8] == (2051).to_bytes(4, "big") + (120).to_bytes(4, "big")
    assert (raw / "train-labels-idx1-ubyte").read_bytes()[:4] == (2049).to_bytes(4, "big")
    assert data.load(name, root)[0].images.equal(train.images)


def test_synthetic_is_deterministic_and_learnable(tmp_path):
    a = data.write_synthetic_mnist(tmp_path / "a", n_train=300, n_test=300, seed=0)
    b = data.write_synthetic_mnist(tmp_path / "b", n_train=300, n_test=300, seed=0)
    (ta, sa), (tb, _) = data.load_mnist(a), data.load_mnist(b)
    assert ta.images.equal(tb.images) and ta.labels.equal(tb.labels)
    # nearest class mean: a learnable signal, but not a copy of one template per class
    x, xt = ta.images.flatten(1).float(), sa.images.flatten(1).float()
    means = torch.stack([x[ta.labels == k].mean(0) for k in range(10)])
    accuracy = (torch.cdist(xt, means).argmin(1) == sa.labels).float().mean().item()
    assert 0.8 < accuracy
    assert len(torch.unique(ta.images.flatten(1), dim=0)) == len(ta)


def test_cifar10_round_trip(tmp_path):
    root = data.write_synthetic_cifar10(tmp_path, n_train=53, n_test=20)
    train, test = data.load_cifar10(root)
    assert train.images.shape == (53, 3, 32, 32) and test.images.shape == (20, 3, 32, 32)
    assert train.images.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert train.classes == data.CIFAR10_CLASSES
    assert 0 <= int(train.labels.min()) and int(train.labels.max()) <= 9
    # channel layout: each row of b"data" is 1024 red, then 1024 green, then 1024 blue values
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    first = batch[b"data"][0]
    assert train.images[0, 0].flatten().tolist() == first[:1024].tolist()
    assert train.images[0, 2].flatten().tolist() == first[2048:].tolist()
    assert train.labels[: len(batch[b"labels"])].tolist() == batch[b"labels"]


def _py2_str(b: bytes) -> bytes:
    """A Python 2 ``str`` as cPickle wrote it (SHORT_BINSTRING / BINSTRING)."""
    return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b


def _py2_pickle(obj) -> bytes:
    """Pickle dicts/lists/ints/bytes/uint8 arrays the way Python 2 + numpy 1.x did (protocol 2).

    The official CIFAR-10 batches were written like this, so this checks the reader on the
    real byte format (``numpy.core.multiarray._reconstruct``, Python 2 strings), not only on
    pickles written by Python 3.
    """
    def enc(o) -> bytes:
        if isinstance(o, bytes):
            return _py2_str(o)
        if isinstance(o, int):
            return b"J" + struct.pack("<i", o)
        if isinstance(o, list):
            return b"](" + b"".join(enc(v) for v in o) + b"e"
        if isinstance(o, dict):
            return b"}(" + b"".join(enc(k) + enc(v) for k, v in o.items()) + b"u"
        if isinstance(o, np.ndarray) and o.dtype == np.uint8:
            shape = b"(" + b"".join(enc(d) for d in o.shape) + b"t"
            dtype = (b"cnumpy\ndtype\n" + _py2_str(b"u1") + b"K\x00K\x01\x87R"
                     + b"(K\x03" + _py2_str(b"|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
            return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + b"K\x00\x85"
                    + _py2_str(b"b") + b"\x87R" + b"(K\x01" + shape + dtype + b"\x89"
                    + _py2_str(np.ascontiguousarray(o).tobytes()) + b"tb")
        raise TypeError(type(o))

    return b"\x80\x02" + enc(obj) + b"."


def test_cifar10_reads_python2_pickles(tmp_path):
    root = data.write_synthetic_cifar10(tmp_path, n_train=15, n_test=5)
    folder = tmp_path / "cifar-10-batches-py"
    expected = data.load_cifar10(root)
    for name in data.CIFAR10_FILES:
        with open(folder / name, "rb") as f:
            obj = pickle.load(f)
        (folder / name).write_bytes(_py2_pickle(obj))
    assert b"numpy.core.multiarray" in (folder / "test_batch").read_bytes()
    train, test = data.load_cifar10(root)
    assert train.images.equal(expected[0].images) and train.labels.equal(expected[0].labels)
    assert test.images.equal(expected[1].images) and train.classes == data.CIFAR10_CLASSES


def test_cifar10_reader_refuses_code_in_pickles(tmp_path):
    root = data.write_synthetic_cifar10(tmp_path, n_train=10, n_test=10)
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as f:
        pickle.dump({b"data": os.system, b"labels": []}, f)
    with pytest.raises(data.DatasetCorruptError, match="test_batch|could not be read"):
        data.load_cifar10(root)


def test_ag_news_round_trip(tmp_path):
    root = data.write_synthetic_ag_news(tmp_path, n_train=80, n_test=20)
    train, test = data.load_ag_news(root)
    assert len(train) == 80 and len(test) == 20
    assert len(train.texts) == 80 and all(isinstance(t, str) and t for t in train.texts)
    assert train.labels.dtype == torch.int64 and set(train.labels.tolist()) == {0, 1, 2, 3}
    assert train.classes == ("World", "Sports", "Business", "Sci/Tech")
    assert any("," in t for t in train.texts)  # commas inside quoted fields survive
    # class-dependent vocabulary: the label's own words dominate
    for text, label in zip(train.texts, train.labels.tolist()):
        words = set(text.lower().replace(",", " ").replace(".", " ").replace('"', " ").split())
        own = words & {w.lower() for w in data._AG_VOCAB[label]}
        other = words & {w.lower() for k, v in enumerate(data._AG_VOCAB) if k != label for w in v}
        assert own and not other


def test_ag_news_reads_real_format(tmp_path):
    folder = tmp_path / "ag_news"
    folder.mkdir()
    (folder / "train.csv").write_text(
        '"3","Wall St. Bears Claw Back Into the Black (Reuters)","Reuters - Short-sellers, '
        'Wall Street\'s dwindling\\band of ultra-cynics, are seeing green again."\n'
        '"1","Title, with comma","He said ""hello"" today"\n', encoding="utf-8")
    (folder / "test.csv").write_text('"4","t","d"\n', encoding="utf-8")
    train, test = data.load_ag_news(tmp_path)
    assert train.labels.tolist() == [2, 0] and test.labels.tolist() == [3]
    assert train.texts[0].startswith("Wall St. Bears Claw Back Into the Black (Reuters) Reuters - Short-sellers,")
    assert "\\" not in train.texts[0]
    assert train.texts[1] == 'Title, with comma He said "hello" today'
    (folder / "test.csv").write_text('"5","t","d"\n', encoding="utf-8")
    with pytest.raises(data.DatasetCorruptError, match=r"test\.csv, row 1"):
        data.load_ag_news(tmp_path)


def test_splits_are_frozen_tensor_bundles(tmp_path):
    train, _ = data.load_mnist(data.write_synthetic_mnist(tmp_path, n_train=20, n_test=10))
    image, label = train[3]
    assert image.shape == (28, 28) and label.dtype == torch.int64
    assert len(train) == 20 and train.num_classes == 10
    with pytest.raises(dataclasses.FrozenInstanceError):
        train.labels = train.labels
    assert train.to("cpu").images.dtype == torch.uint8
    with pytest.raises(ValueError, match="uint8"):
        data.Split(train.images.float(), train.labels, train.classes)


def test_load_dispatch_names(tmp_path):
    data.write_synthetic_ag_news(tmp_path, n_train=8, n_test=4)
    assert len(data.load("ag_news", tmp_path)[0]) == 8
    assert len(data.load("AG-News", tmp_path)[0]) == 8
    assert data.canonical_name("Fashion_MNIST") == "fashion-mnist"
    assert data.canonical_name("CIFAR-10") == "cifar10"
    with pytest.raises(ValueError, match="mnist, fashion-mnist, cifar10, ag_news"):
        data.load("imagenet", tmp_path)


def test_synthetic_writers_do_not_overwrite_real_data(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"real data")
    with pytest.raises(FileExistsError, match="not synthetic"):
        data.write_synthetic_mnist(tmp_path)
    assert (raw / "train-images-idx3-ubyte").read_bytes() == b"real data"
    data.write_synthetic_cifar10(tmp_path, n_train=10, n_test=5)
    data.write_synthetic_cifar10(tmp_path, n_train=10, n_test=5)  # rewriting synthetic data is fine


# --------------------------------------------------------------------------- missing datasets


@pytest.mark.parametrize("name,display,fix", [
    ("mnist", "MNIST", "COURSE_ALLOW_DOWNLOAD=1 python -m coursekit fetch mnist"),
    ("fashion-mnist", "Fashion-MNIST", "python -m coursekit fetch fashion-mnist"),
    ("cifar10", "CIFAR-10", "COURSE_ALLOW_DOWNLOAD=1 python -m coursekit fetch cifar10"),
    ("ag_news", "AG News", "COURSE_ALLOW_DOWNLOAD=1 python -m coursekit fetch ag_news"),
])
def test_missing_dataset_error(monkeypatch, tmp_path, name, display, fix):
    monkeypatch.setattr("urllib.request.urlopen", _no_network)
    root = tmp_path / "empty root"
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load(name, root)
    err = info.value
    assert isinstance(err, FileNotFoundError)
    message = str(err)
    assert display in message and err.dataset == display
    assert str(root) in message
    assert fix in message and f"--root '{root}'" in message  # the exact command, quoted root
    assert err.__cause__ is None and err.__suppress_context__  # no deep chained traceback
    if name == "fashion-mnist":
        assert str(tmp_path / "no-debian-here") in message
        assert str(root / "debian" / "usr" / "share" / "datasets" / "fashion-mnist") in message
    assert pickle.loads(pickle.dumps(err)).args == err.args


def test_missing_dataset_default_root_command_has_no_root_option(monkeypatch, tmp_path):
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_fashion_mnist()
    assert "python -m coursekit fetch fashion-mnist\n" in str(info.value) + "\n"
    assert "--root" not in str(info.value)
    assert str(tmp_path / "home" / ".cache" / "dl-course" / "data") in str(info.value)


def test_failed_download_is_a_clear_not_found_error(monkeypatch, tmp_path):
    from torchvision import datasets
    from torchvision.datasets import utils

    def offline(self):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz: no network")

    monkeypatch.setattr(datasets.MNIST, "download", offline)
    with pytest.raises(data.DatasetNotFoundError, match="Download failed: Error downloading") as info:
        data.load_mnist(tmp_path, download=True)
    assert info.value.__cause__ is None and info.value.__suppress_context__

    def no_host(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(utils, "download_and_extract_archive", no_host)
    monkeypatch.setenv("COURSE_ALLOW_DOWNLOAD", "1")
    with pytest.raises(data.DatasetNotFoundError, match="Name or service not known") as info:
        data.load_cifar10(tmp_path)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_cifar10_download_uses_official_archive(monkeypatch, tmp_path):
    from torchvision.datasets import utils

    calls = []

    def fake_download(url, download_root, md5=None, **kwargs):
        calls.append((url, md5))
        data.write_synthetic_cifar10(download_root, n_train=10, n_test=5)

    monkeypatch.setattr(utils, "download_and_extract_archive", fake_download)
    with pytest.raises(data.DatasetNotFoundError):
        data.load_cifar10(tmp_path)  # downloads are off by default
    assert calls == []
    train, test = data.load_cifar10(tmp_path, download=True)
    assert calls == [("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")]
    assert len(train) == 10 and len(test) == 5
    data.load_cifar10(tmp_path, download=True)
    assert len(calls) == 1  # present now: no second download


# --------------------------------------------------------------------------- Fashion-MNIST from Debian


def _fake_debian_folder(tmp_path, folder: Path) -> Path:
    """Gzipped synthetic Fashion-MNIST idx files laid out like the Debian package."""
    src = data.write_synthetic_mnist(tmp_path / "src", kind="FashionMNIST", n_train=50, n_test=20, seed=3)
    folder.mkdir(parents=True)
    for name in data.IDX_FILES:
        with open(src / "FashionMNIST" / "raw" / name, "rb") as fin, gzip.open(folder / (name + ".gz"), "wb") as fout:
            shutil.copyfileobj(fin, fout)
    return src / "FashionMNIST" / "raw"


def test_fashion_mnist_from_debian_package(monkeypatch, tmp_path):
    debian = tmp_path / "usr-share-datasets-fashion-mnist"
    expected = _fake_debian_folder(tmp_path, debian)
    monkeypatch.setattr(data.root, "DEBIAN_FASHION_MNIST", debian)
    root = tmp_path / "root"
    assert data.present(root)["fashion-mnist"] == debian
    train, test = data.load_fashion_mnist(root)
    assert train.images.shape == (50, 28, 28) and test.images.shape == (20, 28, 28)
    assert train.classes[0] == "T-shirt/top"
    for name in data.IDX_FILES:
        out = root / "FashionMNIST" / "raw" / name
        assert out.is_file() and not out.is_symlink()
        assert out.read_bytes() == (expected / name).read_bytes()
    assert not list((root / "FashionMNIST" / "raw").glob("*.part"))


def test_fashion_mnist_from_debian_folder_in_data_root(tmp_path):
    _fake_debian_folder(tmp_path, tmp_path / "root" / "debian" / "usr" / "share" / "datasets" / "fashion-mnist")
    train, _ = data.load_fashion_mnist(tmp_path / "root")
    assert len(train) == 50


def test_gz_files_copied_into_raw_are_unpacked(tmp_path):
    _fake_debian_folder(tmp_path, tmp_path / "root" / "MNIST" / "raw")
    train, test = data.load_mnist(tmp_path / "root")
    assert len(train) == 50 and len(test) == 20


def test_corrupt_gz_is_reported(monkeypatch, tmp_path):
    debian = tmp_path / "debian"
    debian.mkdir()
    for name in data.IDX_FILES:
        (debian / (name + ".gz")).write_bytes(b"not gzip")
    monkeypatch.setattr(data.root, "DEBIAN_FASHION_MNIST", debian)
    with pytest.raises(data.DatasetCorruptError, match="un-gzip"):
        data.load_fashion_mnist(tmp_path / "root")
    assert not list((tmp_path / "root" / "FashionMNIST" / "raw").iterdir())  # no half-written files


def _fake_apt(tmp_path, monkeypatch) -> Path:
    """A fake `apt-get` on PATH whose `download` copies a real .deb built from synthetic files."""
    pkg = tmp_path / "pkg"
    _fake_debian_folder(tmp_path, pkg / "usr" / "share" / "datasets" / "fashion-mnist")
    (pkg / "DEBIAN").mkdir()
    (pkg / "DEBIAN" / "control").write_text(
        "Package: dataset-fashion-mnist\nVersion: 0.0-1\nArchitecture: all\n"
        "Maintainer: test <t@example.org>\nDescription: fake\n")
    deb = tmp_path / "dataset-fashion-mnist_0.0-1_all.deb"
    subprocess.run(["dpkg-deb", "--build", "-Zgzip", str(pkg), str(deb)], check=True, capture_output=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    script = bin_dir / "apt-get"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n[ "$1" = download ] && cp "{deb}" .\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb to build a test package")
def test_fetch_fashion_mnist_with_apt(monkeypatch, tmp_path):
    log = _fake_apt(tmp_path, monkeypatch)
    root = tmp_path / "root"
    raw = data.fetch_fashion_mnist(root)
    assert raw == root / "FashionMNIST" / "raw"
    assert log.read_text().split() == ["download", "dataset-fashion-mnist"]
    assert (root / data.DEBIAN_SUBDIR / "train-images-idx3-ubyte.gz").is_file()
    train, test = data.load_fashion_mnist(root)
    assert len(train) == 50 and len(test) == 20
    data.fetch_fashion_mnist(root)
    assert len(log.read_text().splitlines()) == 1  # already there: apt-get is not run again


def test_fetch_fashion_mnist_without_apt(monkeypatch, tmp_path):
    monkeypatch.setattr(data.fetch.shutil, "which", lambda name: None)
    with pytest.raises(data.FetchError, match="apt-get") as info:
        data.fetch_fashion_mnist(tmp_path)
    assert "COURSE_ALLOW_DOWNLOAD=1 python -m coursekit fetch fashion-mnist" in str(info.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in str(info.value)


# --------------------------------------------------------------------------- AG News downloads


def _serve_ag_news(monkeypatch, tmp_path, hashes):
    src = data.write_synthetic_ag_news(tmp_path / "server", n_train=12, n_test=4) / "ag_news"
    monkeypatch.setattr(data.ag_news, "AG_NEWS_URLS", {n: (src / n).as_uri() for n in ("train.csv", "test.csv")})
    monkeypatch.setattr(data.ag_news, "AG_NEWS_SHA256", hashes)
    return src


def test_ag_news_download_checksum_mismatch(monkeypatch, tmp_path):
    _serve_ag_news(monkeypatch, tmp_path, {"train.csv": "0" * 64, "test.csv": None})
    root = tmp_path / "root"
    with pytest.raises(data.DatasetCorruptError, match="Checksum mismatch") as info:
        data.load_ag_news(root, download=True)
    assert "0" * 64 in str(info.value)
    assert not (root / "ag_news" / "train.csv").exists()
    assert not list((root / "ag_news").glob("*.part"))


def test_ag_news_download_pinned_and_unpinned(monkeypatch, tmp_path, capsys):
    src = tmp_path / "server" / "ag_news"
    _serve_ag_news(monkeypatch, tmp_path, {})
    digest = hashlib.sha256((src / "train.csv").read_bytes()).hexdigest()
    monkeypatch.setattr(data.ag_news, "AG_NEWS_SHA256", {"train.csv": digest, "test.csv": None})
    monkeypatch.setenv("COURSE_ALLOW_DOWNLOAD", "1")
    train, test = data.load_ag_news(tmp_path / "root")
    assert len(train) == 12 and len(test) == 4
    assert (tmp_path / "root" / "ag_news" / "train.csv").read_bytes() == (src / "train.csv").read_bytes()
    printed = capsys.readouterr().err
    assert hashlib.sha256((src / "test.csv").read_bytes()).hexdigest() in printed  # the hash to pin
    assert digest not in printed


def test_ag_news_no_download_when_off(monkeypatch, tmp_path):
    _serve_ag_news(monkeypatch, tmp_path, {"train.csv": None, "test.csv": None})
    monkeypatch.setattr("urllib.request.urlopen", _no_network)
    with pytest.raises(data.DatasetNotFoundError, match="Downloading is off"):
        data.load_ag_news(tmp_path / "root")


def test_ag_news_network_error(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(data.DatasetNotFoundError, match="name resolution") as info:
        data.load_ag_news(tmp_path, download=True)
    assert info.value.__cause__ is None and info.value.__suppress_context__


# --------------------------------------------------------------------------- command line


def test_cli_where_and_synthetic(tmp_path, capsys):
    assert main(["where", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out and "mnist" in out and "missing" in out
    for name in ("mnist", "fashion-mnist", "cifar10", "ag_news"):
        assert main(["synthetic", name, "--root", str(tmp_path), "--n-train", "20", "--n-test", "10"]) == 0
    capsys.readouterr()
    assert main(["where", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "missing" not in out and out.count("(synthetic)") == 4
    assert len(data.load_cifar10(tmp_path)[0]) == 20


def test_cli_fetch_without_download_permission(tmp_path, capsys):
    assert main(["fetch", "mnist", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "downloads are off" in err
    assert f"COURSE_ALLOW_DOWNLOAD=1 python -m coursekit fetch mnist --root {tmp_path}" in err
    assert "Traceback" not in err
    assert main(["fetch", "imagenet"]) == 1
    assert "unknown dataset" in capsys.readouterr().err


def test_cli_synthetic_needs_root(capsys):
    with pytest.raises(SystemExit) as info:
        main(["synthetic", "mnist"])
    assert info.value.code == 2


def test_cli_runs_as_module_without_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "coursekit", "fetch", "ag_news", "--root", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=REPO)
    assert proc.returncode == 1
    assert "AG News was not found" in proc.stderr and "Traceback" not in proc.stderr
