"""The benchmark groups, written once for every system the drivers run.

Generator lists are GAP cycle strings (1-based); the same strings go to asen
(PermGroup::parse), to GAP (as permutation literals) and, parsed into image
lists, to SymPy. Also: running the C++ executables and GAP, and printing
tables. Used by run_orbitals_bench.py, run_order_bench.py and
run_certify_bench.py.
"""

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile


# ---------------------------------------------------------------------------
# Permutations as 0-based image lists and as GAP cycle strings.

def cycles_of(images):
    """GAP cycle notation (1-based) of a 0-based image list; "()" for the identity."""
    seen = [False] * len(images)
    parts = []
    for start in range(len(images)):
        if seen[start] or images[start] == start:
            seen[start] = True
            continue
        cycle = []
        x = start
        while not seen[x]:
            seen[x] = True
            cycle.append(str(x + 1))
            x = images[x]
        parts.append("(" + ",".join(cycle) + ")")
    return "".join(parts) or "()"


def images_of(cycles, n):
    """The 0-based image list on n points of one GAP cycle string."""
    images = list(range(n))
    for chunk in cycles.replace(" ", "").split(")"):
        chunk = chunk.lstrip("(")
        if not chunk:
            continue
        points = [int(p) - 1 for p in chunk.split(",")]
        for a, b in zip(points, points[1:] + points[:1]):
            images[a] = b
    return images


def rotation(n, k=1):
    return [(x + k) % n for x in range(n)]


def reflection(n):
    return [n - 1 - x for x in range(n)]


# ---------------------------------------------------------------------------
# The groups. Each is a dict: label, n, gens (cycle strings), and what the
# benchmarks check: the rank (number of orbitals) and the exact order.

def dihedral_paper(n):
    """The paper's list: the identity, the reflection i -> n+1-i and the n
    rotations r^k, k = 1..n (r^n is the identity again): n+2 generators."""
    gens = ["()", cycles_of(reflection(n))]
    gens += [cycles_of(rotation(n, k % n)) for k in range(1, n + 1)]
    return {"label": "dihedral", "n": n, "gens": gens,
            "rank": n // 2 + 1, "order": 2 * n}


def dihedral_two(n):
    """The dihedral group from the rotation and the reflection."""
    return {"label": "dihedral-2gen", "n": n,
            "gens": [cycles_of(rotation(n)), cycles_of(reflection(n))],
            "rank": n // 2 + 1, "order": 2 * n}


def wreath_paper(n):
    """S_{n/2} wr S_2, the paper's list: the identity, the adjacent
    transpositions inside each half (n-2) and the half swap."""
    if n % 2:
        raise ValueError("the wreath product needs an even degree")
    m = n // 2
    gens = ["()"]
    gens += ["(%d,%d)" % (i, i + 1) for i in range(1, m)]
    gens += ["(%d,%d)" % (i, i + 1) for i in range(m + 1, n)]
    gens.append("".join("(%d,%d)" % (i, i + m) for i in range(1, m + 1)))
    return {"label": "wreath", "n": n, "gens": gens,
            "rank": 3, "order": 2 * math.factorial(m) ** 2}


def wreath_three(n):
    """S_{n/2} wr S_2 from (1,2), the m-cycle (1,2,...,m) on the first half
    (m = n/2) and the half swap."""
    if n % 2:
        raise ValueError("the wreath product needs an even degree")
    m = n // 2
    return {"label": "wreath-3gen", "n": n,
            "gens": ["(1,2)", "(" + ",".join(map(str, range(1, m + 1))) + ")",
                     "".join("(%d,%d)" % (i, i + m) for i in range(1, m + 1))],
            "rank": 3, "order": 2 * math.factorial(m) ** 2}


def symmetric_two(n):
    """S(n) from (1,2) and (1,2,...,n)."""
    return {"label": "S(n)-2gen", "n": n,
            "gens": ["(1,2)", cycles_of(rotation(n))],
            "rank": 2, "order": math.factorial(n)}


def alternating_two(n):
    """A(n) from (1,2,3) and an n-cycle (n odd) or an (n-1)-cycle (n even): GAP's."""
    long_cycle = list(range(1, n + 1)) if n % 2 else list(range(2, n + 1))
    return {"label": "A(n)-2gen", "n": n,
            "gens": ["(1,2,3)", "(" + ",".join(map(str, long_cycle)) + ")"],
            "rank": 2, "order": math.factorial(n) // 2}


def alternating_3cycles(n):
    """A(n) from the 3-cycles (1,2,k), k = 3..n: n-2 generators (a long list
    in the spirit of the paper's)."""
    return {"label": "A(n)-3cycles", "n": n,
            "gens": ["(1,2,%d)" % k for k in range(3, n + 1)],
            "rank": 2, "order": math.factorial(n) // 2}


def spec_of(case):
    """The asen group spec: the generators separated by commas."""
    return ",".join(case["gens"])


# ---------------------------------------------------------------------------
# Running things.

def find_executable(name, build, script_dir):
    """The path of a bench executable under the build folder given (only
    there, so that the build timed is the one asked for), else under the
    repository's build-bench/ or build/; printed, so a run says what it timed."""
    if build:
        candidates = [os.path.join(build, "bench", name), os.path.join(build, name)]
    else:
        root = os.path.dirname(script_dir)
        candidates = [os.path.join(root, d, "bench", name) for d in ("build-bench", "build")]
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            print("timing %s" % os.path.abspath(path), flush=True)
            return os.path.abspath(path)
    sys.exit("cannot find the executable %r (looked in: %s); build it with\n"
             "  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && "
             "cmake --build build-bench --target %s" % (name, ", ".join(candidates), name))


def json_lines(text):
    """The JSON objects printed one per line (other lines are ignored)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def run_cpp(executable, case_lines, extra_args=(), ok_status=(0,)):
    """Runs a C++ bench on a cases file; its progress goes to our stderr.
    Exit statuses other than `ok_status` stop the driver."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        f.write("\n".join(case_lines) + "\n")
        path = f.name
    try:
        proc = subprocess.run([executable, *extra_args, path], stdout=subprocess.PIPE,
                              stderr=None, text=True)
    finally:
        os.unlink(path)
    if proc.returncode not in ok_status:
        sys.exit("%s failed with exit status %d" % (executable, proc.returncode))
    return json_lines(proc.stdout)


def run_gap(script, timeout_s):
    """Runs a GAP script in a fresh `gap -q` process (start-up not timed by
    the script). Returns (json records, None) or (None, reason)."""
    with tempfile.NamedTemporaryFile("w", suffix=".g", delete=False) as f:
        f.write(script)
        f.write("\nQUIT;\n")
        path = f.name
    try:
        proc = subprocess.run(["timeout", "-k", "10", str(timeout_s), "gap", "-q", "-o", "8g", path],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    finally:
        os.unlink(path)
    if proc.returncode in (124, 137):
        return None, "timeout"
    records = json_lines(proc.stdout)
    if proc.returncode != 0 or not records:
        return None, "GAP failed (exit %d): %s" % (proc.returncode, proc.stdout[-2000:])
    return records, None


def median(values):
    return statistics.median(values)


# ---------------------------------------------------------------------------
# Tables.

def fmt_ms(value):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if value >= 100:
        return "%.0f" % value
    if value >= 1:
        return "%.2f" % value
    return "%.4f" % value


def fmt_ratio(value):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if value >= 100:
        return "%.0fx" % value
    return "%.1fx" % value


def print_table(headers, rows, out=sys.stdout):
    widths = [len(h) for h in headers]
    for row in rows:
        for k, cell in enumerate(row):
            widths[k] = max(widths[k], len(str(cell)))
    line = "  ".join(h.rjust(widths[k]) if k else h.ljust(widths[k]) for k, h in enumerate(headers))
    print(line, file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in rows:
        print("  ".join(str(c).rjust(widths[k]) if k else str(c).ljust(widths[k])
                        for k, c in enumerate(row)), file=out)


def machine_note():
    load = os.getloadavg()
    return "load average %.2f %.2f %.2f, %d CPUs" % (load[0], load[1], load[2], os.cpu_count() or 0)


def finish_report(targets, problems, json_path=None, payload=None, label="PROBLEM"):
    """The end of every driver: the targets (text, holds, value) as PASS/FAIL
    lines, the machine's load, the problems, and with json_path the payload
    plus machine, targets and problems as JSON. Returns the exit status
    (1 when there were problems)."""
    if targets:
        print("\nTargets:")
        for text, ok, value in targets:
            print("  [%s] %s (%s)" % ("PASS" if ok else "FAIL", text, value))
    print("\nfinished; %s" % machine_note())
    for p in problems:
        print("%s: %s" % (label, p))
    if json_path:
        record = dict(payload or {})
        record.update({"machine": machine_note(),
                       "targets": [{"target": t, "holds": ok, "value": v} for t, ok, v in targets],
                       "problems": problems})
        with open(json_path, "w") as f:
            json.dump(record, f, indent=1)
        print("results saved to %s" % json_path)
    return 1 if problems else 0
