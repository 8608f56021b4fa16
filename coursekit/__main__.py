"""Command line of the student library: get the course datasets and see where they are.

    python -m coursekit where [--root R]
    python -m coursekit fetch fashion-mnist|mnist|cifar10|ag_news [--root R]
    python -m coursekit synthetic mnist|fashion-mnist|cifar10|ag_news --root R [--n-train N] [--n-test N] [--seed S]

``fetch fashion-mnist`` works offline from the Debian package (``apt-get download``, no root
rights needed). The other datasets come from the internet, which is off unless
``COURSE_ALLOW_DOWNLOAD=1`` is set. Errors print one clear message and exit with status 1.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import data


def _size(split) -> str:
    return f"{len(split):,}"


def cmd_where(args) -> int:
    root = data.data_root(args.root)
    source = "--root" if args.root else ("COURSE_DATA" if os.environ.get("COURSE_DATA") else "default")
    print(f"data root: {root}  ({source})")
    found = data.present(root)
    for name in data.DATASETS:
        folder = found[name]
        if folder is None:
            print(f"  {name:<14} missing")
            continue
        note = ""
        if data.is_synthetic(folder):
            note = "  (synthetic)"
        elif name == "fashion-mnist" and folder.name != "raw":
            note = "  (Debian package; unpacked on first load)"
        print(f"  {name:<14} present  {folder}{note}")
    allowed = data.download_allowed(None)
    print("downloads: " + ("allowed (COURSE_ALLOW_DOWNLOAD=1)" if allowed else
                           "off (set COURSE_ALLOW_DOWNLOAD=1 to allow)"))
    return 0


def cmd_fetch(args) -> int:
    name = data.canonical_name(args.name)
    root = data.data_root(args.root)
    if name == "fashion-mnist":
        raw = data.fetch_fashion_mnist(root)
        print(f"Fashion-MNIST is ready in {raw}")
        train, test = data.load_fashion_mnist(root, download=False)
    else:
        try:
            train, test = data.load(name, root)  # downloads only with COURSE_ALLOW_DOWNLOAD=1
        except data.DatasetNotFoundError as exc:
            if data.download_allowed(None):
                raise
            print(f"error: `fetch {name}` downloads from the internet, and downloads are off.\n{exc}",
                  file=sys.stderr)
            return 1
    print(f"{name}: {_size(train)} training and {_size(test)} test examples under {root}")
    folder = data.present(root)[name]
    if folder is not None and data.is_synthetic(folder):
        print(f"note: {folder} holds synthetic data, not the real dataset")
    return 0


def cmd_synthetic(args) -> int:
    name = data.canonical_name(args.name)
    sizes = {k: v for k, v in (("n_train", args.n_train), ("n_test", args.n_test)) if v is not None}
    if name in ("mnist", "fashion-mnist"):
        kind = "MNIST" if name == "mnist" else "FashionMNIST"
        data.write_synthetic_mnist(args.root, kind=kind, seed=args.seed, **sizes)
    elif name == "cifar10":
        data.write_synthetic_cifar10(args.root, seed=args.seed, **sizes)
    else:
        data.write_synthetic_ag_news(args.root, seed=args.seed, **sizes)
    train, test = data.load(name, args.root, download=False)
    print(f"synthetic {name}: {_size(train)} training and {_size(test)} test examples "
          f"written under {data.data_root(args.root)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit",
        description="Course datasets: see where they are, fetch them, or write synthetic ones.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = ", ".join(data.DATASETS)

    p = sub.add_parser("where", help="print the data root and which datasets are present")
    p.add_argument("--root", help="data root (default: $COURSE_DATA or ~/.cache/dl-course/data)")
    p.set_defaults(func=cmd_where)

    p = sub.add_parser("fetch", help="get a dataset into the data root",
                       description="fashion-mnist comes from the Debian package (apt-get download, "
                                   "no root needed); the others need COURSE_ALLOW_DOWNLOAD=1 and internet.")
    p.add_argument("name", metavar="NAME", help=names)
    p.add_argument("--root", help="data root (default: $COURSE_DATA or ~/.cache/dl-course/data)")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("synthetic", help="write a small synthetic dataset in the real file format")
    p.add_argument("name", metavar="NAME", help=names)
    p.add_argument("--root", required=True,
                   help="where to write it (required, so synthetic data never lands in the real cache)")
    p.add_argument("--n-train", type=int, default=None, help="training examples (default: small)")
    p.add_argument("--n-test", type=int, default=None, help="test examples (default: small)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_synthetic)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError, data.FetchError) as exc:  # DatasetNotFoundError, DatasetCorruptError...
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
