"""The download path against a local HTTP server serving small files this test generates."""

import gzip
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from netcanvas.backend.data import DatasetError, DownloadCancelled, download, load_dataset, remote
from netcanvas.backend.data.download import ChecksumError
from netcanvas.backend.data.idx import parse_idx
from netcanvas.backend.project import DatasetConfig

rng = np.random.default_rng(0)


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def cifar_batch(n: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    records = np.concatenate([labels[:, None], images.reshape(n, -1)], axis=1)
    return records.tobytes(), images, labels


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


class Server:
    """http.server in a thread on 127.0.0.1, port 0; records requests; can cut files short."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.requests, self.truncate = files, [], {}  # name -> times left to cut
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                server.requests.append(name)
                if name not in server.files:
                    self.send_error(404)
                    return
                data = server.files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if server.truncate.get(name, 0) > 0:
                    server.truncate[name] -= 1
                    self.wfile.write(data[: len(data) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/files/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NETCANVAS_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(download, "BACKOFF_S", 0.01)
    monkeypatch.setattr(download, "TIMEOUT_S", 5.0)
    return tmp_path / "cache"


@pytest.fixture
def mnist(cache, monkeypatch):
    """Small MNIST-format files served locally, with the checksum table pointing at them."""
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (200, 28, 28)),
        "train-labels-idx1-ubyte.gz": np.arange(200) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (30, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": np.arange(30) % 10,
    }
    files = {name: idx_bytes(a) for name, a in arrays.items()}
    md5s = {name: hashlib.md5(data).hexdigest() for name, data in files.items()}
    real = remote.REMOTES["mnist"]
    monkeypatch.setitem(remote.REMOTES, "mnist", remote.Remote(real.title, real.mirrors, md5s,
                                                               real.class_names))
    server = Server(files)
    yield server, arrays
    server.close()


def config(server, **options):
    return DatasetConfig(name="mnist", normalize=False, options={"base_url": server.url, **options})


def cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("*") if p.is_file())


def test_download_parses_and_cache_is_reused(mnist, cache):
    server, arrays = mnist
    d = load_dataset(config(server))
    assert sorted(server.requests) == sorted(arrays)
    assert d.sample_shape == (1, 28, 28) and d.num_classes == 10
    assert len(d.test) == 30 and len(d.train) + len(d.val) == 200  # official test set
    expected = torch.from_numpy(arrays["t10k-images-idx3-ubyte.gz"][:, None] / 255.0).float()
    assert torch.allclose(d.test.x, expected)
    assert d.test.y.tolist() == arrays["t10k-labels-idx1-ubyte.gz"].tolist()
    assert cache_files(cache) == sorted(arrays)  # no .part left behind
    load_dataset(config(server))
    assert len(server.requests) == 4  # second load: no request at all


def test_progress_reports_bytes_of_each_file(mnist):
    server, _ = mnist
    calls = []
    load_dataset(config(server), progress=lambda done, total, msg: calls.append((done, total, msg)))
    finals = {msg: (done, total) for done, total, msg in calls}
    assert len(finals) == 4 and all(done == total > 0 for done, total in finals.values())
    assert any("train-images-idx3-ubyte.gz" in m and "MNIST" in m for m in finals)
    dones = [d for d, _, m in calls if "train-images" in m]
    assert dones == sorted(dones) and len(dones) > 1  # streamed in chunks


def test_checksum_mismatch_leaves_nothing(mnist, cache, monkeypatch):
    server, _ = mnist
    bad = dict(remote.REMOTES["mnist"].files, **{"train-labels-idx1-ubyte.gz": "0" * 32})
    monkeypatch.setitem(remote.REMOTES, "mnist", remote.Remote("MNIST", (), bad, ()))
    with pytest.raises(ChecksumError, match="train-labels-idx1-ubyte.gz downloaded from http.* is corrupt.*expected 0{32}"):
        load_dataset(config(server))
    assert "train-labels-idx1-ubyte.gz" not in cache_files(cache)
    assert not any(name.endswith(".part") for name in cache_files(cache))
    assert server.requests.count("train-labels-idx1-ubyte.gz") == 1  # not retried


def test_interrupted_download_is_retried(mnist, cache):
    server, _ = mnist
    server.truncate["t10k-images-idx3-ubyte.gz"] = 1
    load_dataset(config(server))
    assert server.requests.count("t10k-images-idx3-ubyte.gz") == 2


def test_download_that_keeps_breaking_fails_cleanly(mnist, cache):
    server, _ = mnist
    server.truncate["t10k-images-idx3-ubyte.gz"] = 99
    with pytest.raises(DatasetError) as err:
        load_dataset(config(server))
    assert server.requests.count("t10k-images-idx3-ubyte.gz") == download.RETRIES
    assert "t10k-images-idx3-ubyte.gz" in str(err.value) and str(cache / "mnist") in str(err.value)
    assert "t10k-images-idx3-ubyte.gz" not in cache_files(cache)
    assert not any(name.endswith(".part") for name in cache_files(cache))


def test_offline_error_names_files_and_folder(mnist, cache):
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = DatasetConfig(name="mnist", options={"base_url": f"http://127.0.0.1:{port}/"})
    with pytest.raises(DatasetError) as err:
        load_dataset(cfg)
    message = str(err.value)
    for name in remote.REMOTES["mnist"].files:
        assert name in message
    assert str(cache / "mnist") in message and "put them in" in message
    assert cache_files(cache) == []


def test_missing_file_on_server_is_an_error(mnist, cache):
    server, _ = mnist
    del server.files["train-labels-idx1-ubyte.gz"]
    with pytest.raises(DatasetError, match="404"):
        load_dataset(config(server))
    assert server.requests.count("train-labels-idx1-ubyte.gz") == 1  # 4xx is not retried


def test_cancel_stops_download_and_leaves_nothing(mnist, cache):
    server, _ = mnist
    seen = []
    with pytest.raises(DownloadCancelled):
        load_dataset(config(server), progress=lambda *a: seen.append(a), cancel=lambda: bool(seen))
    assert len(seen) == 1
    assert cache_files(cache) == []


def test_hand_placed_files_are_used_and_checked(mnist, cache):
    server, _ = mnist
    folder = cache / "mnist"
    folder.mkdir(parents=True)
    for name, data in server.files.items():
        (folder / name).write_bytes(data)
    load_dataset(DatasetConfig(name="mnist"))  # no base_url: the real mirrors are never asked
    assert server.requests == []
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"not a gzip")
    with pytest.raises(ChecksumError) as err:
        load_dataset(DatasetConfig(name="mnist"))
    assert "train-labels-idx1-ubyte.gz is corrupt" in str(err.value)
    assert str(folder) in str(err.value) and "delete it" in str(err.value)


def test_cifar10_archive_extracted_safely(cache, tmp_path, monkeypatch):
    buf = io.BytesIO()
    batches = {}
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
            data, images, labels = cifar_batch(12)
            batches[name] = (images, labels)
            add_member(tar, "cifar-10-batches-bin/" + name, data)
        add_member(tar, "cifar-10-batches-bin/batches.meta.txt", b"airplane\n")
        add_member(tar, "../escaped.bin", b"outside")
    archive = buf.getvalue()
    monkeypatch.setitem(remote.REMOTES, "cifar10", remote.Remote(
        "CIFAR-10", (), {remote.CIFAR_ARCHIVE: hashlib.sha256(archive).hexdigest()},
        remote.REMOTES["cifar10"].class_names))
    server = Server({remote.CIFAR_ARCHIVE: archive})
    try:
        cfg = DatasetConfig(name="cifar10", normalize=False, options={"base_url": server.url})
        d = load_dataset(cfg)
        load_dataset(cfg)
    finally:
        server.close()
    assert server.requests == [remote.CIFAR_ARCHIVE]
    assert d.sample_shape == (3, 32, 32) and d.class_names[0] == "airplane"
    assert len(d.train) + len(d.val) == 60 and len(d.test) == 12
    images, labels = batches["test_batch.bin"]
    assert torch.allclose(d.test.x, torch.from_numpy(images / 255.0).float())
    assert d.test.y.tolist() == labels.tolist()
    assert not (cache / "escaped.bin").exists() and not (tmp_path / "escaped.bin").exists()
    assert not any(p.name.endswith(".part") for p in cache.rglob("*"))


@pytest.mark.parametrize("data, match", [
    (b"\x00\x00\x07\x01", "bad magic"),
    (bytes([0, 0, 8, 1]) + np.array([5], ">u4").tobytes() + b"abc", "expected 5 data bytes"),
])
def test_idx_parser_rejects_malformed_files(data, match):
    with pytest.raises(DatasetError, match=match):
        parse_idx(data)


def test_idx_parser_reads_big_endian_types():
    values = np.array([[1, -2], [300, 4]], ">i4")
    data = bytes([0, 0, 0x0C, 2]) + np.array([2, 2], ">u4").tobytes() + values.tobytes()
    assert parse_idx(data).tolist() == [[1, -2], [300, 4]]


def test_stale_part_files_are_cleared(mnist, cache):
    server, _ = mnist
    folder = cache / "mnist"
    folder.mkdir(parents=True)
    old, young = folder / "x.gz.abc.part", folder / "y.gz.def.part"
    old.write_bytes(b"half")
    young.write_bytes(b"in use by another download")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    load_dataset(config(server))
    assert not old.exists() and young.exists()
