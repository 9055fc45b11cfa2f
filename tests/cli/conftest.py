"""Helpers for the `asen` command-line tests: run the binary, parse its JSON,
check its error contract (exit status 2, one line on stderr)."""

import json
import os
import subprocess

import pytest

# Every run has a timeout: the tool must never hang.
TIMEOUT_S = 120


def asen_path():
    path = os.environ.get("ASEN_CLI")
    if not path:
        pytest.exit("ASEN_CLI is not set: run these tests through ctest (ctest -L cli)", returncode=2)
    return path


def run(*args, stdin=None, **kwargs):
    """Runs `asen *args`; returns the CompletedProcess (text mode)."""
    return subprocess.run([asen_path(), *args], input=stdin, capture_output=True, text=True,
                          timeout=TIMEOUT_S, **kwargs)


def run_ok(*args, stdin=None):
    """Runs `asen *args` and asserts success with a silent stderr; returns stdout."""
    result = run(*args, stdin=stdin)
    assert result.returncode == 0, f"asen {args} failed ({result.returncode}): {result.stderr}"
    assert result.stderr == ""
    return result.stdout


def run_json(*args):
    """Runs `asen *args --json` and returns the one JSON object it prints."""
    out = run_ok(*args, "--json")
    assert out.endswith("\n") and out.count("\n") == 1, "expected exactly one line of JSON"
    return json.loads(out)


def assert_error(result, status, *fragments):
    """The error contract: the exit status, nothing on stdout, and exactly one
    stderr line that starts with 'asen: error: ' and contains `fragments`."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {result.stderr!r}"
    assert result.stderr.endswith("\n")
    assert lines[0].startswith("asen: error: ")
    assert len(lines[0]) > len("asen: error: ")
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def assert_input_error(result, *fragments):
    return assert_error(result, 2, *fragments)


def batch_lines(out):
    """The JSON objects of batch output, one per line."""
    assert out.endswith("\n")
    return [json.loads(line) for line in out.splitlines()]
