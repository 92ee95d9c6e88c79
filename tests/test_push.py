"""Publishing: to an S3 object store (a moto server on loopback, started here) and to a Hugging
Face dataset repository (HfApi's methods replaced: no network), and loading back from the store."""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import vn_security_corpus as vnsc
from vn_security_corpus.cli import main
from vn_security_corpus.fetch import fetch_release
from vn_security_corpus.push import push_release
from vn_security_corpus.release import read_manifest

from .conftest import RAW_DIR

BUCKET = "vnsc-test"


@dataclass
class S3:
    endpoint: str
    port: int
    url: str  # the releases root
    options: dict[str, Any]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    """A moto S3 server on 127.0.0.1 (a free port) with one bucket; dummy credentials; the loaders'
    cache in a temporary folder. Stopped at the end of the module."""
    server_module = pytest.importorskip("moto.server")
    pytest.importorskip("s3fs")
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "VNSC_CACHE": str(tmp_path_factory.mktemp("cache")),
        }
    )
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # What a user sets as FSSPEC_S3_ENDPOINT_URL before starting Python: fsspec reads it at import.
        import fsspec.config
        import s3fs

        saved_conf = copy.deepcopy(fsspec.config.conf)
        fsspec.config.conf.setdefault("s3", {})["endpoint_url"] = endpoint

        s3fs.S3FileSystem.clear_instance_cache()
        s3fs.S3FileSystem(endpoint_url=endpoint).mkdir(BUCKET)
        yield S3(endpoint, port, f"s3://{BUCKET}/releases", {"endpoint_url": endpoint})
    finally:
        if "saved_conf" in locals():
            fsspec.config.conf.clear()
            fsspec.config.conf.update(saved_conf)
            s3fs.S3FileSystem.clear_instance_cache()
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_push_to_s3_reads_back_and_loads_back(s3: S3, release_root: Path) -> None:
    release = release_root / "1.0.0"
    report = push_release(release, s3.url, storage_options=s3.options)
    assert report.outcome == "pushed" and report.files == len(read_manifest(release).files) + 2  # + checksums, manifest
    assert vnsc.versions(s3.url) == ["1.0.0"]
    import s3fs

    store = s3fs.S3FileSystem(endpoint_url=s3.endpoint)
    assert store.cat_file(f"{BUCKET}/releases/1.0.0/manifest.json") == (release / "manifest.json").read_bytes()
    assert "config_name: 1.0.0" in store.cat_file(f"{BUCKET}/releases/README.md").decode()
    # The loaders take the URL as root: a checked copy in the cache, the same rows.
    assert vnsc.load_table(root=s3.url).to_pylist() == vnsc.load_table(root=release_root).to_pylist()
    assert vnsc.info(root=s3.url)["content_sha256"] == vnsc.info(root=release_root)["content_sha256"]
    # pyarrow reads the pushed Parquet over S3 by itself.
    import pyarrow.fs
    import pyarrow.parquet as pq

    arrow_s3 = pyarrow.fs.S3FileSystem(
        access_key="testing",
        secret_key="testing",
        region="us-east-1",
        scheme="http",
        endpoint_override=f"127.0.0.1:{s3.port}",
    )
    name = next(iter(read_manifest(release).splits["train"].files))
    remote = pq.read_table(f"{BUCKET}/releases/1.0.0/{name}", filesystem=arrow_s3)
    assert remote.equals(pq.read_table(release / name))


def test_re_push_is_a_no_op_and_another_release_of_the_version_is_refused(
    s3: S3, release_root: Path, tmp_path: Path
) -> None:
    release = release_root / "1.0.0"
    push_release(release, s3.url, storage_options=s3.options)
    assert push_release(release, s3.url, storage_options=s3.options).outcome == "unchanged"
    other = vnsc.build(RAW_DIR, tmp_path, "1.0.0", splits={"train": 0.5, "test": 0.5}).path
    with pytest.raises(vnsc.ReleaseError, match=r"another release 1\.0\.0 is already there"):
        push_release(other, s3.url, storage_options=s3.options)
    assert vnsc.load_table(root=s3.url).to_pylist() == vnsc.load_table(root=release_root).to_pylist()


def test_a_damaged_release_is_never_pushed(s3: S3, release_root: Path, tmp_path: Path) -> None:
    copy = tmp_path / "1.0.1"
    shutil.copytree(release_root / "1.0.0", copy)
    (copy / "LICENSE.md").write_text("changed", encoding="utf-8")
    with pytest.raises(vnsc.ReleaseError, match="does not match its manifest"):
        push_release(copy, s3.url, storage_options=s3.options)


def test_the_cache_copy_is_checked_and_refetched(s3: S3, release_root: Path) -> None:
    push_release(release_root / "1.0.0", s3.url, storage_options=s3.options)
    local_root = fetch_release(s3.url)
    (local_root / "1.0.0" / "croissant.json").write_text("{}", encoding="utf-8")  # damaged in the cache
    assert vnsc.verify_release(fetch_release(s3.url) / "1.0.0") == []


def test_push_command(s3: S3, release_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["push", str(release_root / "1.0.0"), "--to", s3.url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "1.0.0"
    assert main(["push", str(release_root / "1.0.0"), "--to", "not-a-url"]) == 2


# ---------------------------------------------------------------- Hugging Face Hub, no network


@dataclass
class Ref:
    name: str
    target_commit: str


def same_signature(method: Callable[..., Any]) -> Callable[..., Any]:
    """Check each call against the signature of HfApi's method of the same name."""
    from huggingface_hub import HfApi

    signature = inspect.signature(getattr(HfApi, method.__name__))

    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        signature.bind(self, *args, **kwargs)
        return method(self, *args, **kwargs)

    return checked


@dataclass
class FakeHub:
    """The HfApi methods push_release calls (with their real signatures), over an in-memory
    repository of one branch and tags."""

    files: dict[str, bytes] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    commits: list[dict[str, Any]] = field(default_factory=list)
    folder: Path = Path()

    @same_signature
    def create_repo(self, repo_id: str, *, repo_type: str, exist_ok: bool) -> None:
        assert repo_type == "dataset" and exist_ok

    @same_signature
    def list_repo_refs(self, repo_id: str, *, repo_type: str) -> Any:
        tags = [Ref(name, commit) for name, commit in self.tags.items()]
        return type("Refs", (), {"tags": tags, "branches": [Ref("main", str(len(self.commits) - 1))]})()

    @same_signature
    def file_exists(self, repo_id: str, path: str, *, repo_type: str) -> bool:
        return path in self.files

    @same_signature
    def hf_hub_download(self, repo_id: str, path: str, *, repo_type: str, revision: str | None) -> str:
        from huggingface_hub.errors import EntryNotFoundError

        snapshot = self.files if revision is None else self.commits[int(self.tags[revision])]["files"]
        if path not in snapshot:
            raise EntryNotFoundError(path)
        local = self.folder / hashlib.sha256(f"{revision}:{path}".encode()).hexdigest()
        local.write_bytes(snapshot[path])
        return str(local)

    @same_signature
    def list_repo_tree(self, repo_id: str, *, repo_type: str) -> list[Any]:
        tops = sorted({path.split("/", 1)[0] for path in self.files})
        return [type("Entry", (), {"path": top})() for top in tops]

    @same_signature
    def create_commit(self, repo_id: str, operations: list[Any], *, commit_message: str, **options: Any) -> Any:
        assert options["parent_commit"] == str(len(self.commits) - 1)  # made on the head it checked
        for operation in operations:
            source = operation.path_or_fileobj
            self.files[operation.path_in_repo] = source if isinstance(source, bytes) else Path(source).read_bytes()
        self.commits.append({"operations": operations, "message": commit_message, "files": dict(self.files)})
        return type("CommitInfo", (), {"oid": str(len(self.commits) - 1)})()

    @same_signature
    def create_tag(self, repo_id: str, *, tag: str, revision: str | None, tag_message: str, repo_type: str) -> None:
        assert tag not in self.tags, "a tag is never moved"
        self.tags[tag] = revision if revision is not None else str(len(self.commits) - 1)


def test_push_to_the_hub_is_one_tagged_commit(release_root: Path, tmp_path: Path) -> None:
    release = release_root / "1.0.0"
    hub = FakeHub(folder=tmp_path)
    report = push_release(release, "hf://datasets/someone/vn-security-corpus", api=hub)
    assert report.outcome == "pushed" and report.commit == "0" and hub.tags == {"v1.0.0": "0"}
    (commit,) = hub.commits
    paths = [operation.path_in_repo for operation in commit["operations"]]
    expected = [f"1.0.0/{name}" for name in sorted(read_manifest(release).files)]
    assert (
        paths == [*expected, "1.0.0/checksums", "1.0.0/manifest.json", "README.md"]
        and commit["message"] == "Release 1.0.0"
    )
    assert b"config_name: 1.0.0" in hub.files["README.md"]
    # The same release again: nothing sent, the tag stays.
    again = push_release(release, "hf://datasets/someone/vn-security-corpus", api=hub)
    assert again.outcome == "unchanged" and len(hub.commits) == 1
    # Another release under the same version: refused, the tag is never moved.
    other = vnsc.build(RAW_DIR, tmp_path / "other", "1.0.0", splits={"train": 0.5, "test": 0.5}).path
    with pytest.raises(vnsc.ReleaseError, match=r"tag v1\.0\.0 already names another release"):
        push_release(other, "hf://datasets/someone/vn-security-corpus", api=hub)
    assert hub.tags == {"v1.0.0": "0"} and len(hub.commits) == 1


def test_a_later_version_on_the_hub_keeps_the_older_configs(release_root: Path, tmp_path: Path) -> None:
    hub = FakeHub(folder=tmp_path)
    push_release(release_root / "1.0.0", "hf://datasets/someone/corpus", api=hub)
    later = tmp_path / "releases"
    shutil.copytree(release_root / "1.0.0", later / "1.0.0")
    newer = vnsc.build(RAW_DIR, later, "1.0.1", shard_rows=2).path
    push_release(newer, "hf://datasets/someone/corpus", api=hub)
    card = hub.files["README.md"].decode()
    assert card.index("config_name: 1.0.1") < card.index("config_name: 1.0.0")
    assert set(hub.tags) == {"v1.0.0", "v1.0.1"}
    with pytest.raises(vnsc.ConfigError, match="hf://datasets/OWNER/NAME"):
        push_release(newer, "hf://datasets/only-a-name", api=hub)
