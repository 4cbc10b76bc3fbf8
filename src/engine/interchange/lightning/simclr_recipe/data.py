"""Training images in the formats the workbench reads, as uint8 NHWC tensors:
CIFAR-10/100 binary folders, MNIST-style IDX folders (raw or .gz) and image
folders (root/<class>/*.png|jpg|jpeg|webp, or root/train/<class>/...; Pillow
needed, images centre-cropped to a square and resized to `size`)."""
import gzip
import os

import torch

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


def _cifar(files, label_bytes, label_index):
    images, labels = [], []
    record = label_bytes + 3072
    for f in files:
        buf = open(f, "rb").read()
        if len(buf) % record:
            raise ValueError(f"{f}: {len(buf)} bytes is not a whole number of {record}-byte CIFAR records")
        t = torch.frombuffer(bytearray(buf), dtype=torch.uint8).view(-1, record)
        labels.append(t[:, label_index].long())
        images.append(t[:, label_bytes:].view(-1, 3, 32, 32).permute(0, 2, 3, 1))
    return torch.cat(images), torch.cat(labels)


def read_cifar10(path):
    files = [os.path.join(path, f"data_batch_{i}.bin") for i in range(1, 6) if os.path.exists(os.path.join(path, f"data_batch_{i}.bin"))]
    if not files:
        raise FileNotFoundError(f"{path}: no data_batch_N.bin files (is this the cifar-10-batches-bin folder?)")
    return _cifar(files, 1, 0)


def read_cifar100(path):
    f = os.path.join(path, "train.bin")
    if not os.path.exists(f):
        raise FileNotFoundError(f"{path}: train.bin is missing (is this the cifar-100-binary folder?)")
    return _cifar([f], 2, 1)


def _idx(file):
    raw = gzip.open(file, "rb").read() if file.endswith(".gz") else open(file, "rb").read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise ValueError(f"{file}: not an unsigned-byte IDX file")
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(raw[4 + 4 * dims :]), dtype=torch.uint8).view(*shape)


def read_idx(path):
    def find(stem):
        for name in (stem, stem + ".gz"):
            if os.path.exists(os.path.join(path, name)):
                return os.path.join(path, name)
        raise FileNotFoundError(f"{path}: no {stem}[.gz] (is this an MNIST-style folder?)")

    images = _idx(find("train-images-idx3-ubyte"))
    labels = _idx(find("train-labels-idx1-ubyte")).long()
    return images.unsqueeze(3), labels


def read_folder(path, size):
    from PIL import Image  # only image folders need Pillow

    root = os.path.join(path, "train") if os.path.isdir(os.path.join(path, "train")) else path
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    items = []
    if classes:
        for c, name in enumerate(classes):
            for dirpath, _, files in sorted(os.walk(os.path.join(root, name))):
                items += [(os.path.join(dirpath, f), c) for f in sorted(files) if f.lower().endswith(IMAGE_EXTENSIONS)]
    else:
        items = [(os.path.join(root, f), -1) for f in sorted(os.listdir(root)) if f.lower().endswith(IMAGE_EXTENSIONS)]
    if not items:
        raise FileNotFoundError(f"{path}: no images ({', '.join(IMAGE_EXTENSIONS)})")
    images = []
    for file, _ in items:
        im = Image.open(file).convert("RGB")
        s = min(im.size)
        left, top = (im.size[0] - s) // 2, (im.size[1] - s) // 2
        im = im.crop((left, top, left + s, top + s)).resize((size, size), Image.LANCZOS)
        images.append(torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(size, size, 3))
    return torch.stack(images), torch.tensor([c for _, c in items])


def read_dataset(data):
    """`data`: config.yaml's data section {format, path, size?, trainLimit?}."""
    fmt, path = data["format"], data["path"]
    if fmt == "cifar10":
        images, labels = read_cifar10(path)
    elif fmt == "cifar100":
        images, labels = read_cifar100(path)
    elif fmt == "idx":
        images, labels = read_idx(path)
    elif fmt == "folder":
        images, labels = read_folder(path, data["size"])
    else:
        raise ValueError(f"data.format {fmt!r}: use cifar10, cifar100, idx or folder")
    limit = data.get("trainLimit")
    return (images[:limit], labels[:limit]) if limit else (images, labels)
