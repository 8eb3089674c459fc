"""The package as a user installs it: the wheel carries configs/ (every file, every subfolder) as
``trustsim/configs``, and ``CONFIG_DIR`` finds it there. (.ci/run also installs the wheel in a fresh
virtual environment and runs ``trustsim demo`` from an empty folder.)"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from trustsim.config import loading

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from this checkout offline (hatchling from the test extras, no isolation)."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            folder,
            ROOT,
        ],
        check=True,
        capture_output=True,
    )
    (built,) = folder.glob("trustsim-*.whl")
    return built


def test_the_wheel_carries_every_file_of_configs_with_its_subfolders(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = sorted(path for path in (ROOT / "configs").rglob("*") if path.is_file())
        assert any(path.parent != ROOT / "configs" for path in shipped)  # sweeps/ at least
        for path in shipped:
            inside = f"trustsim/configs/{path.relative_to(ROOT / 'configs').as_posix()}"
            assert inside in names, inside
            assert archive.read(inside) == path.read_bytes()
    assert "trustsim/config/essay_catalog.yaml" in names


def test_config_dir_is_the_packaged_copy_when_installed(tmp_path, monkeypatch):
    """Installed, trustsim/configs is beside trustsim/config; in a checkout, configs/ is one level up."""
    assert loading.CONFIG_DIR == ROOT / "configs"  # this checkout (an editable install reads it)
    package = tmp_path / "site-packages" / "trustsim"
    (package / "config").mkdir(parents=True)
    (package / "configs").mkdir()
    monkeypatch.setattr(loading, "__file__", str(package / "config" / "loading.py"))
    assert loading._config_dir() == package / "configs"
