"""`asen orbitals --out FILE`: .npy, .csv and .json colour matrices, written
atomically."""

import json
import os
import pathlib
import resource
import shutil
import struct
import subprocess
import tempfile
import time

import numpy as np
import pytest

from conftest import asen_path, assert_error, assert_input_error, run, run_json, run_ok, TIMEOUT_S


def colours(spec):
    return run_json("orbitals", spec, "--colors")["colors"]


def leftovers(directory, keep=()):
    """Files in `directory` other than `keep` (e.g. temporary files)."""
    return sorted(set(os.listdir(directory)) - set(keep))


@pytest.mark.parametrize("spec", ["D(10)", "wreath(S(5),S(2))", "C(8)", "(1,2)(3,4),(1,3)"])
def test_npy_csv_and_json_files_equal_the_colours_printed(tmp_path, spec):
    expected = colours(spec)
    for ext in ("npy", "csv", "json"):
        run_ok("orbitals", spec, "--out", str(tmp_path / f"m.{ext}"))
    matrix = np.load(tmp_path / "m.npy")
    assert matrix.dtype == np.dtype("<i4")
    assert matrix.shape == (len(expected), len(expected))
    assert matrix.flags["C_CONTIGUOUS"]
    assert matrix.tolist() == expected
    csv = np.loadtxt(tmp_path / "m.csv", delimiter=",", dtype=np.int32, ndmin=2)
    assert csv.tolist() == expected
    assert (tmp_path / "m.csv").read_text().count("\n") == len(expected)
    document = json.loads((tmp_path / "m.json").read_text())
    assert document["colors"] == expected
    assert document == run_json("orbitals", spec, "--colors") | {"timings_ms": document["timings_ms"]}
    assert leftovers(tmp_path) == ["m.csv", "m.json", "m.npy"]


def test_npy_header_is_format_1_0_and_aligned(tmp_path):
    run_ok("orbitals", "S(7)", "--out", str(tmp_path / "m.npy"))
    data = (tmp_path / "m.npy").read_bytes()
    assert data[:8] == b"\x93NUMPY\x01\x00"
    (header_len,) = struct.unpack("<H", data[8:10])
    header = data[10:10 + header_len].decode("latin1")
    assert (10 + header_len) % 64 == 0 and header.endswith("\n")
    assert eval(header) == {"descr": "<i4", "fortran_order": False, "shape": (7, 7)}  # a Python literal
    assert len(data) == 10 + header_len + 4 * 49


def test_out_with_text_output_says_where_it_wrote(tmp_path):
    out = run_ok("orbitals", "S(4)", "--out", str(tmp_path / "s4.csv"))
    assert "s4.csv" in out.splitlines()[-1]


def test_out_overwrites_an_existing_file(tmp_path):
    target = tmp_path / "m.npy"
    target.write_bytes(b"old")
    run_ok("orbitals", "C(4)", "--out", str(target))
    assert np.load(target).tolist() == colours("C(4)")
    assert leftovers(tmp_path) == ["m.npy"]


def test_unknown_extension_is_an_input_error_and_writes_nothing(tmp_path):
    result = run("orbitals", "S(4)", "--out", str(tmp_path / "m.txt"))
    assert_input_error(result, "unknown extension", ".txt")
    assert leftovers(tmp_path) == []


def test_out_into_a_missing_directory_is_a_clear_error(tmp_path):
    result = run("orbitals", "S(4)", "--out", str(tmp_path / "missing" / "m.npy"))
    assert_input_error(result, "does not exist", "missing")
    assert leftovers(tmp_path) == []


def test_out_below_a_regular_file_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    result = run("orbitals", "S(4)", "--out", str(tmp_path / "file" / "m.npy"))
    assert_input_error(result, "is not a directory")


@pytest.mark.parametrize("command", [["orbitals", "S(4)"], ["breaking-input", "S(4)"]])
def test_out_naming_a_directory_says_so_not_that_its_extension_is_unknown(tmp_path, command):
    (tmp_path / "runs.json").mkdir()  # even with an extension the tool knows
    for target in (tmp_path, tmp_path / "runs.json"):
        result = run(*command, "--out", str(target))
        assert_input_error(result, f"cannot write '{target}': it is a directory")


def test_out_into_a_read_only_directory_is_a_clear_error(tmp_path):
    base, kwargs = tmp_path, {}
    if os.geteuid() == 0:
        # root ignores directory permissions: run as 'nobody' in a directory
        # it can enter but not write.
        base = pathlib.Path(tempfile.mkdtemp(prefix="asen-cli-test-", dir="/tmp"))
        os.chmod(base, 0o755)
        kwargs["user"] = 65534
    directory = base / "ro"
    directory.mkdir()
    os.chmod(directory, 0o555)
    try:
        try:
            result = run("orbitals", "S(4)", "--out", str(directory / "m.npy"), **kwargs)
        except PermissionError:
            pytest.skip("user 'nobody' cannot run the binary")
        assert_input_error(result, "Permission denied", "m.npy")
        assert leftovers(directory) == []
    finally:
        os.chmod(directory, 0o755)
        if base != tmp_path:
            shutil.rmtree(base)


def test_existing_file_survives_a_bad_spec(tmp_path):
    target = tmp_path / "m.csv"
    target.write_text("precious\n")
    assert_input_error(run("orbitals", "Q(3)", "--out", str(target)), "unknown group")
    assert target.read_text() == "precious\n"
    assert leftovers(tmp_path) == ["m.csv"]


def test_existing_file_survives_the_memory_limit(tmp_path):
    target = tmp_path / "m.npy"
    target.write_bytes(b"precious")
    result = run("orbitals", "S(2000)", "--memory-limit-mb", "1", "--out", str(target))
    assert_input_error(result, "memory limit")
    assert target.read_bytes() == b"precious"
    assert leftovers(tmp_path) == ["m.npy"]


@pytest.mark.parametrize("ext", ["npy", "csv", "json"])
def test_a_write_failing_midway_leaves_the_old_file_and_no_temporary(tmp_path, ext):
    # The file size limit makes writes fail with EFBIG after 64 KiB (the
    # colour matrix of S(300) takes 352 KiB as .npy).
    target = tmp_path / f"m.{ext}"
    target.write_text("precious")

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    result = subprocess.run([asen_path(), "orbitals", "S(300)", "--out", str(target)], capture_output=True,
                            text=True, timeout=TIMEOUT_S, preexec_fn=limit_file_size)
    assert_error(result, 1, "failed writing", "File too large")
    assert target.read_text() == "precious"
    assert leftovers(tmp_path) == [f"m.{ext}"]


def test_out_is_not_allowed_with_batch(tmp_path):
    result = run("orbitals", "--batch", "-", "--out", str(tmp_path / "m.npy"), stdin="")
    assert_input_error(result, "--out")


@pytest.mark.parametrize("signal_number", [2, 15])  # SIGINT, SIGTERM
def test_an_interrupted_write_leaves_no_temporary_file(tmp_path, signal_number):
    # The JSON matrix of C(3000) is about 40 MB of text: the signal arrives
    # while the temporary file is being written.
    target = tmp_path / "m.json"
    process = subprocess.Popen([asen_path(), "orbitals", "C(3000)", "--out", str(target)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + TIMEOUT_S
    while not [n for n in os.listdir(tmp_path) if ".tmp-" in n] and process.poll() is None and \
            time.monotonic() < deadline:
        time.sleep(0.001)
    process.send_signal(signal_number)
    process.wait(timeout=TIMEOUT_S)
    process.stderr.close()
    if process.returncode == 0:
        pytest.skip("the write finished before the signal arrived")
    assert process.returncode == -signal_number
    assert leftovers(tmp_path) == []


def test_an_empty_output_file_name_is_an_input_error():
    assert_input_error(run("orbitals", "D(5)", "--out", ""), "the file name is empty")


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "m.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(os.path.join("data", "m.json"))  # relative to the link's folder
    run_ok("orbitals", "C(4)", "--out", str(link))
    assert link.is_symlink() and json.loads(target.read_text())["rank"] == 4
    # A link to a file not there yet creates it; the link stays.
    dangling = tmp_path / "new.npy"
    dangling.symlink_to(tmp_path / "data" / "fresh.npy")
    run_ok("orbitals", "C(4)", "--out", str(dangling))
    assert dangling.is_symlink() and np.load(tmp_path / "data" / "fresh.npy").shape == (4, 4)
    assert leftovers(tmp_path / "data", keep=("m.json", "fresh.npy")) == []
    # A loop of links is an input error, not a hang.
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    assert_input_error(run("orbitals", "C(4)", "--out", str(tmp_path / "a.json")), "too many levels of symbolic links")
