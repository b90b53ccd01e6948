"""Every example configuration in httpd-conf/ must load: apache2 -t after
substituting test values (module path, secret files, directories)."""
import glob
import os
import re

import pytest

from httpd import HttpdInstance, MODULE, REPO

EXAMPLES = sorted(glob.glob(os.path.join(REPO, "httpd-conf", "*.conf")))


def prepare(h, text):
    secrets = os.path.join(h.dir, "secrets")
    os.makedirs(secrets, exist_ok=True)
    for name in ("cognito-client-secret", "cognito-session-passphrase"):
        h.write(os.path.join(secrets, name), "example-secret-value-0123456789\n")
    os.makedirs(os.path.join(h.dir, "teams"), exist_ok=True)
    text = re.sub(r"(?m)^LoadModule auth_cognito_module .*$",
                  "LoadModule auth_cognito_module " + MODULE, text)
    # Modules the test base already loads would only produce warnings.
    text = re.sub(r"(?m)^LoadModule (proxy_module|proxy_http_module) .*$",
                  "", text)
    text = text.replace("/etc/apache2/cognito-", secrets + "/cognito-")
    text = text.replace("/var/www/teams", os.path.join(h.dir, "teams"))
    text = text.replace("/run/apache2", os.path.join(h.dir, "run"))
    return text


def test_there_is_an_example_per_use_case():
    names = {os.path.basename(p) for p in EXAMPLES}
    for wanted in ("api-bearer.conf", "htaccess-groups.conf",
                   "reverse-proxy-headers.conf", "cgi-replica.conf",
                   "browser-login.conf", "basic-auth.conf",
                   "service-to-service.conf", "multi-server-redis.conf",
                   "aws-credentials.conf"):
        assert wanted in names


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_passes_configtest(path):
    h = HttpdInstance(name="example", load_module=False)
    try:
        with open(path) as f:
            h.write_config(config=prepare(h, f.read()))
        ok, out = h.configtest()
        assert ok, out
        assert "Syntax OK" in out
    finally:
        h.cleanup()
