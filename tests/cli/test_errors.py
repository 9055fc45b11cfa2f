"""The error contract: bad input exits with status 2 and exactly one stderr
line 'asen: error: ...'; never a stack trace, an abort or a hang."""

import json
import os
import subprocess

import pytest

from conftest import TIMEOUT_S, asen_path, assert_input_error, run, run_json, run_ok

BAD_SPECS = [
    ("(1,2", "truncated"),
    ("(1,1)", "repeated"),
    ("(0,1)", "1-based"),
    ("(a,b)", "not a number"),
    ("Q(3)", "unknown group 'Q'"),
    ("[[0,0]]", "bijection"),
    ("[[1,0],[0,2,1]]", "images"),
    ("S(0)", "at least 1"),
    ("D(2)", "S(2)"),
    ("S(5)*", "truncated"),
    ("", "empty"),
    ("(1,2))", "unexpected"),
    ("nosuchprefix:x", "prefix"),
    ("wreath(" * 1000 + "S(1)" + ",S(1))" * 1000, "nested more than 200 deep"),
    ("trivial(20000000)", "the largest is 16777216"),
    ("(16777217,1)", "the largest degree is 16777216"),
    ("[[16777216,0]]", "the largest degree is 16777216"),
    ("S(2)*gap:SymmetricGroup(3)", "gap:<expr> and graph:<file> specs stand alone"),
]


@pytest.mark.parametrize("command", ["group", "orbitals", "certify"])
@pytest.mark.parametrize("spec, fragment", BAD_SPECS)
def test_malformed_spec_is_an_input_error(command, spec, fragment):
    assert_input_error(run(command, spec), fragment)


@pytest.mark.parametrize("command", ["group", "orbitals"])
def test_degree_smaller_than_the_spec_is_an_input_error(command):
    assert_input_error(run(command, "S(5)", "--degree", "3"), "smaller")
    assert_input_error(run(command, "(1,7)", "--degree", "6"), "smaller")


@pytest.mark.parametrize("method", ["auto", "stabilizer-chain", "union-find"])
def test_memory_limit_exceeded_is_an_input_error(method):
    # The colour matrix (without --colors only union-find needs it).
    result = run("orbitals", "S(3000)", "--memory-limit-mb", "1", "--method", method, "--colors")
    assert_input_error(result, "memory limit")
    if method == "union-find":
        assert_input_error(run("orbitals", "S(3000)", "--memory-limit-mb", "1", "--method", method), "memory limit")


def test_a_degree_above_the_limit_is_refused_before_any_allocation():
    assert_input_error(run("group", "S(3)", "--degree", "2147483647"), "not in range 0 to 16777216")
    result = run("group", "--batch", "-", stdin='{"spec": "(1,2)", "degree": 2147483647}\n')
    assert result.returncode == 0 and "16777216" in json.loads(result.stdout)["error"]


def test_a_gap_memory_setting_that_is_not_a_positive_number_is_refused():
    for value in ("-5", "0", "abc", "12abc"):
        result = subprocess.run([asen_path(), "group", "gap:SymmetricGroup(3)"], capture_output=True, text=True,
                                timeout=TIMEOUT_S, env={**os.environ, "ASEN_GAP_MEMORY_MB": value})
        assert_input_error(result, "ASEN_GAP_MEMORY_MB must be a positive number", value)


def test_orbitals_lists_a_million_orbitals_in_little_memory(tmp_path):
    # The listing is written straight from the orbitals' records: the
    # million of trivial(1000) fit in a 768 MiB address space (built as
    # JSON first, they took 750 MB).
    import resource

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))

    path = tmp_path / "listing.json"
    with open(path, "w") as out:
        result = subprocess.run([asen_path(), "orbitals", "trivial(1000)", "--json"], stdout=out,
                                stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_S, preexec_fn=limit_memory)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    text = path.read_text()
    assert text.startswith('{"degree":1000,"rank":1000000,"orbitals":[{"id":0,"representative":[0,0],"size":1,'
                           '"paired":0,"diagonal":true,"self_paired":true},{"id":1,')
    assert '{"id":999999,"representative":[999,999],"size":1,"paired":999999,"diagonal":true,"self_paired":true}],' \
        '"timings_ms":' in text
    assert text.count('"id":') == 1000000


def test_gap_syntax_error_is_one_line():
    # GAP's message spans several lines; it starts GAP (about a second).
    result = run("group", "gap:Group((1,2),")
    assert_input_error(result, "Syntax error: expression expected")
    assert "stream:" not in result.stderr  # a line of asen's wrapper, not of the spec


def test_gap_running_out_of_memory_names_asen_s_setting_not_gap_s_command_line():
    # All of S(9)'s 362880 elements as generators: over a 64 MiB workspace.
    result = run("--gap-memory-mb", "64", "group", "gap:Group(AsList(SymmetricGroup(9)))")
    assert_input_error(result, "memory limit of 64 MiB (raise it with asen --gap-memory-mb")
    assert "-o command line" not in result.stderr


def test_gap_specs_are_one_expression_as_typed_at_gap_s_prompt():
    # A trailing ';;' and a '#' comment are GAP input as typed; a statement
    # after a ';' is refused, not run (it would quit the embedded GAP).
    assert run_json("group", "gap:SymmetricGroup(3);;")["order"] == "6"
    assert run_json("group", "gap:Group((1,2)) # the swap;")["order"] == "2"
    assert run_json("group", "gap:SymmetricGroup(4);; # the rest is a comment; really\n;")["order"] == "24"
    assert_input_error(run("group", "gap:SymmetricGroup(3); # c\n 1"), "one GAP expression, without ';'")
    assert_input_error(run("group", "gap:SymmetricGroup(3);; QUIT_GAP(0)"), "one GAP expression, without ';'")
    # An unclosed bracket: GAP's error, without the code asen wraps around the expression.
    result = run("group", "gap:Group((1,2),(1,2,3)")
    assert_input_error(result, "Syntax error", "at the end of the expression", "(brackets unbalanced")
    assert "ASEN_" not in result.stderr
    # An expression cut short, on one line or several: the same, not asen's closing bracket quoted.
    for spec in ("gap:Group((1,2),", "gap:Group((1,2),\n(1,2,3),", "gap:[1,2", "gap:Group((1,2)))"):
        result = run("group", spec)
        assert_input_error(result, "Syntax error", "at the end of the expression", "unfinished?)")
        assert ") ^" not in result.stderr
    # An error inside the expression still quotes the user's text.
    assert_input_error(run("group", "gap:Group((1,2),,(1,3))"), "Syntax error", "Group((1,2),,(1,3))")


@pytest.mark.parametrize("args, fragment", [
    ([], "subcommand"),
    (["nosuchcommand"], "unknown subcommand 'nosuchcommand'; the subcommands are group, orbitals"),
    (["group"], "SPEC"),
    (["orbitals"], "SPEC"),
    (["group", "S(5)", "--degree", "five"], "--degree"),
    (["group", "S(5)", "--degree", "-1"], "--degree"),
    (["group", "S(5)", "--backend", "sage"], "sage"),
    (["orbitals", "S(5)", "--method", "magic"], "magic"),
    (["orbitals", "S(5)", "--memory-limit-mb", "lots"], "--memory-limit-mb"),
    (["orbitals", "S(5)", "--memory-limit-mb", "0"], "the memory limit must be at least 1 MiB"),
    (["certify", "S(5)", "--memory-limit-mb", "00"], "the memory limit must be at least 1 MiB"),
    (["breaking-input", "S(5)", "--out", "x.npz", "--memory-limit-mb", "0"], "the memory limit must be at least 1 MiB"),
    (["train", "--task", "cyclicsum", "--out", ""], "--out: the output folder is empty"),
    (["orbitals", "S(5)", "--no-such-option"], "--no-such-option"),
    (["report", "extra"], "extra"),
    (["--gap-memory-mb", "0", "report"], "--gap-memory-mb"),
    (["group", "S(5)", "S(6)"], "S(6)"),
    (["certify", "S(5)", "--max-witnesses", "many"], "--max-witnesses"),
    (["certify", "S(5)", "--degree", "3"], "smaller"),
    (["automorphisms", "x.txt", "--backend", "sage"], "sage"),
    (["breaking-input", "S(5)", "--out", "x.npz", "--mode", "sideways"], "sideways"),
    (["breaking-input", "--out", "x.npz"], "SPEC"),
])
def test_bad_arguments_are_input_errors(args, fragment):
    assert_input_error(run(*args), fragment)


@pytest.mark.parametrize("args", [["--help"], ["group", "--help"], ["orbitals", "--help"], ["report", "--help"],
                                  ["certify", "--help"], ["automorphisms", "--help"],
                                  ["breaking-input", "--help"]])
def test_help_succeeds(args):
    assert "Usage" in run_ok(*args)


def test_version():
    out = run_ok("--version")
    assert out.startswith("asen ") and out.count("\n") == 1


def test_global_option_may_follow_the_subcommand():
    # Configures GAP without starting it: the native group needs no GAP.
    assert '"order":"120"' in run_ok("group", "S(5)", "--json", "--gap-memory-mb", "512")


def test_writing_to_a_full_stdout_is_a_failure():
    with open("/dev/full", "w") as full:
        result = subprocess.run([asen_path(), "report"], stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=TIMEOUT_S)
    assert result.returncode == 1
    assert result.stderr.startswith("asen: error: ") and result.stderr.count("\n") == 1


def test_an_orbital_matrix_over_the_limit_is_refused_before_the_group_work():
    # 16 million points: the matrix would be 10^15 bytes. The refusal comes
    # before the stabilizer chain (over 1 GB at this degree), so it fits in
    # an address space of 768 MiB.
    import resource

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))

    # Without --colors it is refused as well, and says why: 15999997 fixed
    # points mean at least 15999997^2 orbitals, whose records cannot fit.
    for extra, fragments in (([], ["its 15999997 fixed points alone give 255999904000009 orbitals",
                                   "more than the memory limit of 4096 MiB"]),
                             (["--colors"], ["colour matrix needs", "above the memory limit"])):
        result = subprocess.run([asen_path(), "orbitals", "S(3)", "--degree", "16000000", *extra], capture_output=True,
                                text=True, timeout=TIMEOUT_S, preexec_fn=limit_memory)
        assert_input_error(result, *fragments)
