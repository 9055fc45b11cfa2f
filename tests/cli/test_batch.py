"""`--batch FILE`: one JSON line out per line in, errors per line, ids echoed."""

import json
import subprocess
import threading

import pytest

from conftest import asen_path, assert_input_error, batch_lines, run, run_json, run_ok

# (input line, expected: None for a good line, else a fragment of the error)
MIXED = [
    ('{"spec": "S(5)", "id": "s5"}', None),
    ('{"spec": "Q(3)", "id": 17}', "unknown group"),
    ("", "empty line"),
    ("{not json", "invalid JSON"),
    ('{"generators": [[1,0,2], "(1,2,3)"]}', None),
    ('{"generators": ["(1,2)"], "degree": 4, "id": [1, 2]}', None),
    ('{"degree": 3, "id": "nothing"}', "missing"),
    ('{"generators": [[0,0]], "id": "nb"}', "bijection"),
    ('{"spec": "D(10)", "degree": 12}', None),
    ("   \t ", "empty line"),
    ("[1, 2]", "JSON object"),
    ('{"spec": "S(5)", "degree": 3}', "smaller"),
    ('{"spec": 5}', "string"),
    ('{"generators": ["(0,1)"]}', "1-based"),
    ('{"spec": "wreath(S(5),S(2))", "id": null}', None),
    ('{"spec": "S(4)", "degree": -1}', "degree"),
    ('{"spec": "(1,2", "id": "trunc"}', "truncated"),
    ('{"generators": [[1,0], [0,2,1]]}', "images"),
    ('{"spec": "S(3)", "colour": 1}', "unknown member"),
    ('{"spec": "S(3)", "spec": "S(4)"}', '"spec" is given twice'),
]


def mixed_input():
    return "".join(line + "\n" for line, _ in MIXED)


def check_lines_and_errors(results):
    assert len(results) == len(MIXED)
    for k, ((line, error), result) in enumerate(zip(MIXED, results), start=1):
        assert result["line"] == k
        request = json.loads(line) if line.strip().startswith("{") and line != "{not json" else {}
        if "id" in request:
            assert "id" in result and result["id"] == request["id"]
        else:
            assert "id" not in result
        if error is None:
            assert "error" not in result, result
        else:
            assert error in result["error"], (line, result)
            assert set(result) <= {"line", "id", "error"}


def test_group_batch_mixes_good_and_bad_lines(tmp_path):
    path = tmp_path / "groups.jsonl"
    path.write_text(mixed_input())
    results = batch_lines(run_ok("group", "--batch", str(path)))
    check_lines_and_errors(results)
    assert (results[0]["order"], results[0]["primitive"]) == ("120", True)
    assert (results[4]["degree"], results[4]["order"]) == (3, "6")
    assert results[4]["generators"] == [[1, 0, 2], [1, 2, 0]]
    assert (results[5]["degree"], results[5]["order"]) == (4, "2")
    assert results[5]["orbits"] == [[0, 1], [2], [3]]
    assert (results[8]["degree"], results[8]["order"], results[8]["transitive"]) == (12, "20", False)
    assert (results[14]["order"], results[14]["primitive"]) == ("28800", False)
    # A good line answers exactly what the single command answers.
    assert {k: v for k, v in results[0].items() if k not in ("line", "id")} == run_json("group", "S(5)")


def test_ids_come_back_exactly_or_the_line_is_refused():
    # Up to 64 bits an integer id is echoed digit for digit; wider, a JSON
    # reader keeps a double, and the echo would be another number.
    lines = ['{"spec": "S(2)", "id": 18446744073709551615}',
             '{"spec": "S(2)", "id": -9223372036854775808}',
             '{"spec": "S(2)", "id": 123456789012345678901234567890}',
             '{"spec": "S(2)", "id": {"run": [1, -99999999999999999999]}}',
             '{"spec": "S(2)", "id": [0.1, 2.5e3]}']
    out = run_ok("group", "--batch", "-", stdin="\n".join(lines) + "\n").splitlines()
    assert '"id":18446744073709551615,' in out[0] and '"id":-9223372036854775808,' in out[1]
    assert json.loads(out[2]) == {"line": 3, "error": "the integer 123456789012345678901234567890 in \"id\" is beyond "
                                  "64 bits and would come back rounded; give it as a string"}
    assert "-99999999999999999999 in \"id\"" in json.loads(out[3])["error"]
    assert json.loads(out[4])["id"] == [0.1, 2500.0]


@pytest.mark.parametrize("command", ["group", "orbitals"])
def test_deeply_nested_values_are_refused_per_line_not_a_crash(command):
    # 100000 nested arrays in an id (echoed) or in the generators (quoted in
    # the error): writing them back would recurse past the stack.
    deep = "[" * 100000 + "]" * 100000
    lines = ['{"spec": "S(3)"}', '{"spec": "S(3)", "id": %s}' % deep, '{"generators": %s}' % deep,
             '{"spec": "S(3)", "id": %s}' % ("[" * 200 + "]" * 200), '{"spec": "S(4)"}']
    results = batch_lines(run_ok(command, "--batch", "-", stdin="\n".join(lines) + "\n"))
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5]
    assert results[1]["error"] == results[2]["error"] == "arrays and objects nested more than 256 deep"
    assert "error" not in results[0] and "error" not in results[3] and "error" not in results[4]


def test_orbitals_batch_from_stdin_with_colours():
    results = batch_lines(run_ok("orbitals", "--batch", "-", "--colors", stdin=mixed_input()))
    check_lines_and_errors(results)
    assert results[0]["rank"] == 2
    assert results[8]["rank"] == run_json("orbitals", "D(10)", "--degree", "12")["rank"]
    assert results[14]["rank"] == 3
    single = run_json("orbitals", "wreath(S(5),S(2))", "--colors")
    assert results[14]["colors"] == single["colors"]
    assert results[14]["orbitals"] == single["orbitals"]


def test_orbitals_batch_without_colours_has_no_matrix():
    results = batch_lines(run_ok("orbitals", "--batch", "-", stdin='{"spec": "D(10)"}\n'))
    assert results[0]["rank"] == 6 and "colors" not in results[0]


def test_orbitals_batch_reports_the_memory_limit_per_line():
    stdin = '{"spec": "S(3000)"}\n{"spec": "S(10)"}\n'
    results = batch_lines(run_ok("orbitals", "--batch", "-", "--memory-limit-mb", "1", "--colors", stdin=stdin))
    assert "memory limit" in results[0]["error"]
    assert results[1]["rank"] == 2


def test_last_line_without_newline_and_crlf_line_ends():
    stdin = '{"spec": "C(4)", "id": 1}\r\n{"spec": "C(5)", "id": 2}'
    results = batch_lines(run_ok("group", "--batch", "-", stdin=stdin))
    assert [(r["line"], r["id"], r["order"]) for r in results] == [(1, 1, "4"), (2, 2, "5")]


def test_empty_input_gives_no_output():
    assert run_ok("group", "--batch", "-", stdin="") == ""


def test_generators_given_as_cycles_take_the_largest_point():
    stdin = '{"generators": ["(1,5)", "(2,3)"]}\n{"generators": [], "degree": 3}\n{"generators": []}\n'
    results = batch_lines(run_ok("group", "--batch", "-", stdin=stdin))
    assert results[0]["degree"] == 5 and results[0]["orbits"] == [[0, 4], [1, 2], [3]]
    assert results[1]["degree"] == 3 and results[1]["order"] == "1"
    assert "degree" in results[2]["error"]


def test_each_output_line_is_flushed_before_the_next_input_line():
    process = subprocess.Popen([asen_path(), "group", "--batch", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for k, spec in enumerate(["S(4)", "Q(1)", "C(9)"], start=1):
            process.stdin.write(json.dumps({"spec": spec}) + "\n")
            process.stdin.flush()
            answer = []
            reader = threading.Thread(target=lambda: answer.append(process.stdout.readline()))
            reader.start()
            reader.join(timeout=30)
            assert answer, f"no output for line {k} while the input stayed open"
            assert json.loads(answer[0])["line"] == k
        process.stdin.close()
        assert process.wait(timeout=30) == 0
        assert process.stdout.read() == ""
    finally:
        process.kill()
        process.wait()


def test_missing_batch_file_is_an_input_error(tmp_path):
    assert_input_error(run("group", "--batch", str(tmp_path / "missing.jsonl")), "missing.jsonl")
    assert_input_error(run("orbitals", "--batch", str(tmp_path / "missing.jsonl")), "missing.jsonl")


def test_directory_as_batch_file_is_an_input_error(tmp_path):
    assert_input_error(run("group", "--batch", str(tmp_path)), "directory")


@pytest.mark.parametrize("args", [["S(5)"], ["--degree", "5"]])
def test_batch_excludes_spec_and_degree(args):
    assert_input_error(run("group", *args, "--batch", "-", stdin=""), "--batch")


def test_gap_batch_recovers_from_gap_errors_in_one_process():
    # One GAP process: the gap backend, gap: specs, a GAP syntax error on a
    # line in the middle, and the global --gap-memory-mb option.
    stdin = "\n".join(json.dumps(x) for x in [
        {"spec": "D(10)", "id": "native spec"},
        {"spec": "gap:Group((1,2),", "id": "syntax"},
        {"spec": "gap:SymmetricGroup(4)", "degree": 6},
        {"spec": "gap:Group((1,2,3))*", "id": "bad"},
        {"generators": ["(1,2,3,4)"]},
    ]) + "\n"
    results = batch_lines(run_ok("--gap-memory-mb", "1024", "group", "--backend", "gap", "--batch", "-",
                                 stdin=stdin))
    assert len(results) == 5
    assert (results[0]["order"], results[0]["order_proof"], results[0]["id"]) == ("20", "gap", "native spec")
    assert "Syntax error" in results[1]["error"] and results[1]["id"] == "syntax"
    assert (results[2]["degree"], results[2]["order"], results[2]["transitive"]) == (6, "24", False)
    assert "error" in results[3] and "\n" not in results[3]["error"]
    assert (results[4]["order"], results[4]["orbits"]) == ("4", [[0, 1, 2, 3]])
