"""Settings check themselves: a bad value is one clear error naming the key and its valid range."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from triage import config as config_module
from triage.config import (
    BUNDLED,
    ROOT,
    TRAIN_FOLDS,
    default_corpus_dir,
    default_models_dir,
    demo_inbox,
    load_config,
)
from triage.errors import ConfigError


def test_train_folds_come_from_the_config_file_and_are_checked(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TRIAGE_CONFIG", raising=False)
    assert load_config().train_folds == TRAIN_FOLDS
    toml = tmp_path / "triage.toml"
    toml.write_text("train_folds = 3\n")
    assert load_config(toml).train_folds == 3
    toml.write_text("train_folds = 1\n")  # one fold leaves no out-of-fold scores to choose thresholds on
    with pytest.raises(ConfigError, match="train_folds must be between 2 and 20, got 1"):
        load_config(toml)


def test_models_dir_comes_from_triage_models_over_the_config_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TRIAGE_CONFIG", raising=False)
    monkeypatch.delenv("TRIAGE_MODELS", raising=False)
    assert load_config().models_dir == ROOT / "models"  # a checkout uses its own models/
    toml = tmp_path / "triage.toml"
    toml.write_text(f'models_dir = "{tmp_path / "from-file"}"\n')
    assert load_config(toml).models_dir == tmp_path / "from-file"
    monkeypatch.setenv("TRIAGE_MODELS", str(tmp_path / "from-env"))
    assert load_config().models_dir == tmp_path / "from-env"
    assert load_config(toml).models_dir == tmp_path / "from-env"  # like $TRIAGE_DB, the environment wins
    assert load_config(toml, models_dir=tmp_path / "flag").models_dir == tmp_path / "flag"


def test_without_a_checkout_the_bundled_model_and_framework_are_the_defaults(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(config_module, "ROOT", tmp_path)  # as in site-packages: no models/ or corpus/ beside
    assert default_models_dir() == BUNDLED / "models"
    assert default_corpus_dir() == BUNDLED / "corpus"
    assert demo_inbox() == BUNDLED / "demo" / "inbox" and sorted(demo_inbox().glob("*.pdf"))
    monkeypatch.delenv("TRIAGE_CONFIG", raising=False)
    monkeypatch.delenv("TRIAGE_MODELS", raising=False)
    cfg = load_config()
    assert cfg.models_dir == BUNDLED / "models" and cfg.framework_path == BUNDLED / "corpus" / "framework.yaml"
    assert cfg.framework_path.is_file()


def test_the_wheel_ships_the_active_model_and_what_run_time_reads() -> None:
    """The bundle is named file by file in pyproject.toml; promoting a version must name its artifact there."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["triage"]
    active = json.loads((ROOT / "models" / "registry.json").read_text(encoding="utf-8"))["active"]
    assert f"bundled/models/{active}/model.joblib" in patterns, f"add bundled/models/{active}/model.joblib"
    for needed in ("bundled/models/registry.json", "bundled/corpus/framework.yaml",
                   "bundled/corpus/fairness_names.json", "bundled/models/static/*/*"):
        assert needed in patterns
    # In a checkout the bundle is the repository's own folders (links), so it never goes stale.
    assert (BUNDLED / "models").resolve() == (ROOT / "models").resolve()
    assert (BUNDLED / "corpus").resolve() == (ROOT / "corpus").resolve()


@pytest.mark.slow
def test_an_installed_wheel_runs_from_another_folder_without_the_repository(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    source, wheels, site, elsewhere = (tmp_path / n for n in ("source", "wheels", "site", "elsewhere"))
    elsewhere.mkdir()
    # Built from a copy: setuptools reuses a build/ folder, which would keep modules deleted since.
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".cache", ".hypothesis", "build", "*.egg-info", "__pycache__", "*.db", "*.db-*",
        "test-artifacts"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(source)], check=True, timeout=600,
                   capture_output=True)
    [wheel] = wheels.glob("triage-*.whl")
    assert wheel.stat().st_size < 40 * 2**20, f"the wheel is {wheel.stat().st_size / 2**20:.1f} MB"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, timeout=600,
                   capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")} | {"PYTHONPATH": str(site)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=elsewhere, env=env,
                              timeout=300)

    where = run("-c", "import triage, triage.config as c, triage.cli.serve as s; "
                      "print(triage.__file__); print(c.load_config().models_dir); print(s._ui_script())")
    assert where.returncode == 0, where.stderr
    package, models, ui = where.stdout.splitlines()
    assert Path(package).is_relative_to(site) and Path(models) == site / "triage" / "bundled" / "models"
    assert Path(ui).is_relative_to(site)
    active = json.loads((ROOT / "models" / "registry.json").read_text(encoding="utf-8"))["active"]
    listed = run("-m", "triage", "models", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"* {active} " in listed.stdout
    scanned = run("-m", "triage", "scan", str(ROOT / "demo" / "inbox" / "01-flash-update-convoy.pdf"), "--json")
    assert scanned.returncode == 0, scanned.stderr
    doc = json.loads(scanned.stdout)["document"]
    assert doc["model_version"] == active and doc["pages"] == 2
    assert Path(ui).is_file(), "the wheel has no triage/ui/main.py for `triage ui` to serve"
    # The demo, too: the bundled model and the bundled demo inbox, into a store in the working folder.
    demoed = run("-m", "triage", "demo", "--db", "demo.db")
    assert demoed.returncode == 0, demoed.stderr
    assert "No trained model" not in demoed.stdout
    listed_docs = run("-m", "triage", "export", "--db", "demo.db", "--format", "csv", "--out", "flags.csv")
    assert listed_docs.returncode == 0, listed_docs.stderr
    assert len((elsewhere / "flags.csv").read_text(encoding="utf-8").splitlines()) > 1
