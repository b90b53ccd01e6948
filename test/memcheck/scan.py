"""Reads the sanitizer reports test/memcheck/run collected and says whether
the module is clean.

    /usr/bin/python3 test/memcheck/scan.py REPORT_DIR [WORK_DIR]

Each httpd process that exits writes REPORT_DIR/asan.<pid> (ASan's exit
statistics, and any leak report); memory errors and UBSan findings are
written there too.  Fails (exit 1) on any memory error,
any UBSan finding, any leak with a frame of the module in its allocation
stack (what lsan.supp does not suppress), or when no report exists at all
(then the setup, not the module, is broken).  Leaks with no frame of ours
are listed but do not fail: they belong to httpd or a library.
WORK_DIR holds the tests' httpd directories: their error logs tell how
many children httpd had to kill (unchecked), and catch sanitizer output
that went to stderr.
"""
import os
import re
import sys

# A stack frame in our code: a source file of the module (the ASan build
# compiles src/... with relative paths), the module's own .so, or code
# that was unloaded before the report was written (httpd's parent unloads
# every module at exit; counting those frames as ours errs on the side of
# failing).
OURS = re.compile(r"\bsrc/(lib/)?\w+\.[ch]:\d+|mod_auth_cognito\.so\+0x"
                  r"|<unknown module>")
LEAK = re.compile(r"^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) "
                  r"object\(s\) allocated from:")
ERROR = re.compile(r"ERROR: AddressSanitizer: ([\w-]+)")
SUPPRESSED = re.compile(r"^\s+(\d+)\s+(\d+)\s+(\S+)\s*$")


def leaks(text):
    """(kind, bytes, frames) for every leak block in an LSan report."""
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = LEAK.match(lines[i])
        i += 1
        if not m:
            continue
        frames = []
        while i < len(lines) and lines[i].strip().startswith("#"):
            frames.append(lines[i].strip())
            i += 1
        out.append((m.group(1), int(m.group(2)), frames))
    return out


def error_blocks(text):
    """The text of each ASan error report (up to its SUMMARY line)."""
    blocks = []
    for m in ERROR.finditer(text):
        end = text.find("SUMMARY:", m.start())
        end = text.find("\n", end) if end >= 0 else len(text)
        blocks.append(text[m.start():end if end >= 0 else len(text)])
    return blocks


def suppressed(text):
    n = 0
    if "Suppressions used:" in text:
        part = text.split("Suppressions used:", 1)[1]
        for line in part.splitlines()[2:]:
            m = SUPPRESSED.match(line)
            if not m:
                break
            n += int(m.group(1))
    return n


def logs(workdir):
    """The error logs of the httpd instances the tests ran."""
    out = []
    for root, _, files in os.walk(workdir or "/nonexistent"):
        out += [os.path.join(root, f) for f in files if f == "error.log"]
    return out


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    rdir = argv[1]
    names = sorted(os.listdir(rdir)) if os.path.isdir(rdir) else []
    procs, clean_exits = set(), 0
    errors, ubsan, ours, theirs = [], [], [], []
    n_suppressed = 0
    for name in names:
        tool, _, pid = name.partition(".")
        with open(os.path.join(rdir, name), errors="replace") as f:
            text = f.read()
        if tool != "asan":
            continue
        procs.add(pid)
        if "AddressSanitizer exit stats" in text:
            clean_exits += 1
        errors += [(pid, b) for b in error_blocks(text)]
        for kind, size, frames in leaks(text):
            owner = ours if any(OURS.search(fr) for fr in frames) else theirs
            owner.append((pid, kind, size, frames))
        n_suppressed += suppressed(text)
        # UBSan lives in the same (clang) runtime and writes here too.
        ubsan += [(pid, line) for line in text.splitlines()
                  if "runtime error:" in line]

    # httpd's own logs: children the parent had to SIGKILL at shutdown
    # (they never reached exit(), so nothing checked them), and any
    # sanitizer output that went to stderr instead of a report file.
    killed = 0
    for path in logs(argv[2] if len(argv) == 3 else None):
        with open(path, errors="replace") as f:
            text = f.read()
        killed += len(re.findall(r"still did not exit, sending a SIGKILL",
                                 text))
        errors += [(path, b) for b in error_blocks(text)]
        ubsan += [(path, line) for line in text.splitlines()
                  if "runtime error:" in line]
        if "ERROR: LeakSanitizer" in text:
            for kind, size, frames in leaks(text):
                ours.append((path, kind, size, frames))

    def show(title, items, fmt):
        if items:
            print("-- %s (%d):" % (title, len(items)))
            for item in items[:10]:
                print(fmt(item))
            if len(items) > 10:
                print("   ... and %d more, see %s" % (len(items) - 10, rdir))

    show("memory errors", errors, lambda e: "pid %s:\n%s\n" % e)
    show("UBSan findings", ubsan, lambda u: "pid %s: %s" % u)
    show("leaks of the module", ours, lambda l: "pid %s: %s leak of %d "
         "bytes\n    %s\n" % (l[0], l[1], l[2], "\n    ".join(l[3])))
    show("leaks elsewhere (httpd or a library; not failing)", theirs,
         lambda l: "pid %s: %s leak of %d bytes, at %s" % (
             l[0], l[1], l[2], l[3][1] if len(l[3]) > 1 else "?"))
    print("memcheck: %d httpd processes checked (%d exited normally, "
          "%d killed unchecked), %d memory errors, %d UBSan findings, "
          "%d leaks of the module (%d bytes), %d leaks elsewhere, "
          "%d suppressed"
          % (len(procs), clean_exits, killed, len(errors), len(ubsan),
             len(ours), sum(l[2] for l in ours), len(theirs), n_suppressed))
    if not procs:
        print("memcheck: no reports at all; was httpd run under the "
              "wrapper?")
        return 1
    return 1 if errors or ubsan or ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
