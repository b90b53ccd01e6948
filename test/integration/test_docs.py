"""The directive reference stays true: every directive the module accepts
is documented in httpd-conf/DIRECTIVES.md with syntax, default and
context, and every documented directive exists."""
import os
import re

from httpd import REPO

SRC = os.path.join(REPO, "src", "mod_cognito_config.c")
REF = os.path.join(REPO, "httpd-conf", "DIRECTIVES.md")


def directives_in_source():
    with open(SRC) as f:
        return set(re.findall(r'AP_INIT_[A-Z0-9]+\("(Cognito\w+)"', f.read()))


def test_every_directive_is_documented():
    with open(REF) as f:
        ref = f.read()
    sections = re.split(r"(?m)^### ", ref)
    documented = {}
    for sec in sections[1:]:
        title = sec.splitlines()[0]
        for name in re.findall(r"Cognito\w+", title):
            documented[name] = sec
    missing = directives_in_source() - set(documented)
    assert not missing
    for name in directives_in_source():
        sec = documented[name]
        for field in ("Syntax:", "Default:", "Context:"):
            assert field in sec, (name, field)


def test_every_documented_directive_exists():
    with open(REF) as f:
        titles = re.findall(r"(?m)^### (.*)$", f.read())
    names = {n for t in titles for n in re.findall(r"Cognito\w+", t)}
    assert names <= directives_in_source()
