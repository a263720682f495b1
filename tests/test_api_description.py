"""The API description as third-party tools read it: Redocly and Spectral lint it clean, and the
TypeScript types generated from it are the ones checked in (client and server cannot drift) and
compile under `tsc --strict` with the partial bodies a client naturally sends."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from web.app import all_routes
from web.openapi import build_openapi

ROOT = Path(__file__).parents[1]
CLIENT = ROOT / "client"
BIN = CLIENT / "node_modules" / ".bin"


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert (BIN / "redocly").exists(), "client tools missing: `make test` runs `npm ci` in client/"
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(build_openapi(all_routes()), indent=1))
    return path


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=CLIENT, capture_output=True, text=True, timeout=300)


def test_redocly_finds_no_errors(described: Path) -> None:
    result = _run(str(BIN / "redocly"), "lint", "--config", "redocly.yaml", "--format=summary", str(described))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.replace("0 errors", "")


def test_spectral_finds_nothing_at_all(described: Path) -> None:
    result = _run(str(BIN / "spectral"), "lint", "--ruleset", ".spectral.yaml", "--fail-severity=hint", str(described))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No results with a severity of 'hint' or higher found!" in result.stdout


def test_generated_types_are_checked_in_and_compile_strictly(described: Path, tmp_path: Path) -> None:
    generated = tmp_path / "schema.d.ts"
    result = _run(str(BIN / "openapi-typescript"), str(described), "--default-non-nullable=false", "-o", str(generated))
    assert result.returncode == 0, result.stderr
    checked_in = CLIENT / "src" / "api" / "schema.d.ts"
    assert generated.read_text() == checked_in.read_text(), (
        "client/src/api/schema.d.ts is out of date: run `make api-types`"
    )
    compiled = _run(str(BIN / "tsc"), "--noEmit", "-p", "tsconfig.json")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def test_node_is_there_for_the_client_tools() -> None:
    assert shutil.which("node") and shutil.which("npm")
