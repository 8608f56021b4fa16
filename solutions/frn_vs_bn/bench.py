"""python -m solutions.frn_vs_bn.bench [--n 50000] [--repeats 3] [--batch-size 256] [--device ...] [--workers W]

Seconds per training epoch of NiN (BatchNorm, full width) on CIFAR-10-sized data, for two
input pipelines, same model, same device, same run, median of ``--repeats`` epochs:

* **seed**: the original notebook's pipeline: a per-sample ``Dataset`` that turns each image
  into a PIL image and back (``RandomCrop(32, padding=4)``, ``RandomHorizontalFlip``,
  ``ToTensor``, ``Normalize``), a ``DataLoader`` with worker processes, float32, the default
  memory layout, each batch copied to the device;
* **course**: :func:`coursekit.train.fit` as the chapter's runner uses it: the uint8 dataset
  resident on the device, normalisation, crop and flip on whole batches there, bf16 autocast
  and channels_last on CUDA.

Real CIFAR-10 is used when present, else random uint8 images of the same shape (the timing
does not depend on the pixels). GPU epochs are timed with CUDA events after one warm-up epoch.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from coursekit.device import CHOICES, pick_device
from coursekit.train import fit

from .data import make_augment, make_prepare, settings
from .nin import NiN


class SeedStyleDataset(torch.utils.data.Dataset):
    """One image at a time through PIL and torchvision transforms, as the original notebook did."""

    def __init__(self, images, labels):
        from torchvision import transforms

        s = settings("cifar10")
        self.images, self.labels = images, labels
        self.transform = transforms.Compose([
            transforms.ToPILImage(), transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
            transforms.ToTensor(), transforms.Normalize(s.mean, s.std)])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(self.images[i]), self.labels[i]


def _timer(device):
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        return lambda: (end.record(), torch.cuda.synchronize(device), start.elapsed_time(end) / 1000)[-1]
    t = time.perf_counter()
    return lambda: time.perf_counter() - t


def seed_epochs(images, labels, device, batch_size, repeats, workers) -> list[float]:
    torch.manual_seed(0)
    model = NiN("bn", in_channels=3).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-5)
    loader = torch.utils.data.DataLoader(SeedStyleDataset(images, labels), batch_size=batch_size, shuffle=True,
                                         num_workers=workers, persistent_workers=workers > 0)
    times = []
    for epoch in range(repeats + 1):               # epoch 0 warms up (cuDNN autotuning, worker start)
        stop = _timer(device)
        model.train()
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch:
            times.append(stop())
    return times


def course_epochs(images, labels, device, batch_size, repeats) -> list[float]:
    torch.manual_seed(0)
    s = settings("cifar10")
    model = NiN("bn", in_channels=3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    times = []
    for epoch in range(repeats + 1):
        stop = _timer(device)
        fit(model, (images, labels), epochs=1, optimizer=optimizer, batch_size=batch_size, device=device,
            prepare=make_prepare(s), augment=make_augment(s), seed=epoch, progress=False)
        if epoch:
            times.append(stop())
    return times


def load_images(n: int, root=None):
    from coursekit.data import DatasetNotFoundError, load_cifar10

    try:
        train, _ = load_cifar10(root=root)
        return train.images[:n], train.labels[:n], "CIFAR-10"
    except DatasetNotFoundError:
        g = torch.Generator().manual_seed(0)
        return (torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g),
                torch.randint(0, 10, (n,), generator=g), "random CIFAR-10-sized images")


def measure(n: int | None = None, repeats: int = 3, batch_size: int = 256, workers: int | None = None,
            device="auto", root=None, log=print) -> dict:
    """Both pipelines side by side on one device: seconds per epoch (every timed epoch and the
    median), the speed-up, and what was timed (images, device, torch)."""
    device = pick_device(device) if isinstance(device, (str, type(None))) else device
    workers = min(8, os.cpu_count() or 1) if workers is None else workers
    if n is None:
        n = 50_000 if device.type == "cuda" else 1024
        if device.type != "cuda":
            log("no GPU: timing 1,024 images per epoch on the CPU (the goal, >= 20x, is a GPU measurement)")
    images, labels, what = load_images(n, root)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({os.cpu_count()} cores)"
    log(f"NiN (BatchNorm, width 1), {len(labels):,} {what}, batch {batch_size}, {name}, torch {torch.__version__}")
    seed = seed_epochs(images, labels, device, batch_size, repeats, workers)
    ours = course_epochs(images, labels, device, batch_size, repeats)
    ms, mo = statistics.median(seed), statistics.median(ours)
    return {"images": len(labels), "data": what, "batch_size": batch_size, "repeats": repeats,
            "dataloader_workers": workers, "device": name, "torch": torch.__version__,
            "timer": "CUDA events, after one warm-up epoch" if device.type == "cuda" else "wall clock, after one warm-up epoch",
            "seed_seconds": seed, "course_seconds": ours, "seed_median": ms, "course_median": mo,
            "speedup": ms / mo}


def report(m: dict) -> str:
    return "\n".join([
        f"seed pipeline   : {m['seed_median']:8.2f} s / epoch (median of {len(m['seed_seconds'])}: "
        f"{', '.join(f'{t:.2f}' for t in m['seed_seconds'])})",
        f"course pipeline : {m['course_median']:8.2f} s / epoch (median of {len(m['course_seconds'])}: "
        f"{', '.join(f'{t:.2f}' for t in m['course_seconds'])})",
        f"speed-up        : {m['speedup']:8.1f}x"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solutions.frn_vs_bn.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=None,
                        help="training images per epoch (default: CIFAR-10's 50,000 on a GPU, 1,024 on a CPU)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256, help="the original notebook's 256")
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1),
                        help="DataLoader workers of the seed pipeline (the original: 8)")
    parser.add_argument("--device", choices=CHOICES, default="auto")
    parser.add_argument("--data", default=None)
    args = parser.parse_args(argv)
    print(report(measure(args.n, args.repeats, args.batch_size, args.workers, args.device, args.data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
