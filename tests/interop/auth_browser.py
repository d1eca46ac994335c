"""`source-linkedin-pages auth` in a real headless Chromium against the mock.

Three runs of the command, each answered in the browser the way a person would:
  allow  - click Allow; the command exits 0, the config file is 0600 and passes `check`
  deny   - click Deny; the command exits non-zero with one clear message
  state  - the state in the redirect is tampered with; the command refuses it
Usage: auth_browser.py BIN MOCK_URL WORKDIR SCREENSHOT_DIR
"""

import json
import os
import queue
import stat
import subprocess
import sys
import threading
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

BIN, MOCK, WORK, SHOTS = sys.argv[1:5]
failures = []


def expect(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--window-size=1000,800",
                 "--user-data-dir=" + os.path.join(WORK, "chromium-profile")):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)


class Auth:
    """The command, its stderr read line by line on a thread."""

    def __init__(self, *extra):
        self.proc = subprocess.Popen(
            [BIN, "auth", "--no-browser", "--port", "0", "--client-id", "mock-client",
             "--client-secret", "mock-secret", "--oauth-base-url", MOCK + "/oauth/v2",
             "--api-base-url", MOCK + "/rest", "--timeout-secs", "60", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def url(self):
        prefix = MOCK + "/oauth/v2/authorization?"
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.lines.get(timeout=30)
            if line is None:
                break
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise SystemExit("the command printed no authorization URL: %r" % self.seen)

    def finish(self):
        out = self.proc.stdout.read()
        code = self.proc.wait(timeout=60)
        while True:
            line = self.lines.get(timeout=10)
            if line is None:
                break
            self.seen.append(line)
        return code, out, "\n".join(self.seen)


def body_text(driver, contains):
    WebDriverWait(driver, 20).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), contains))
    return driver.find_element(By.TAG_NAME, "body").text


def allow(driver):
    cfg = os.path.join(WORK, "auth-config.json")
    auth = Auth("--write-config", cfg)
    url = auth.url()
    driver.get(url)
    forms = driver.find_elements(By.TAG_NAME, "form")
    buttons = [b.get_attribute("value") for b in driver.find_elements(By.CSS_SELECTOR, "form input[type=submit]")]
    expect(len(forms) == 1 and buttons == ["Allow", "Deny"],
           "consent page: one form, submit buttons %s" % buttons)
    scopes = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#scopes li")]
    # The scopes the command asked for (its default, `--scopes` unset), as the URL carries them.
    requested = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["scope"][0].split()
    expect(len(requested) >= 3 and scopes == requested,
           "consent page lists the requested scopes %s (requested %s)" % (scopes, requested))
    shot = os.path.join(SHOTS, "consent.png")
    driver.save_screenshot(shot)
    print("screenshot of the consent page: " + shot, flush=True)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit][value=Allow]").click()
    text = body_text(driver, "close this tab")
    driver.save_screenshot(os.path.join(SHOTS, "granted.png"))
    expect(driver.current_url.startswith("http://127.0.0.1:") and "/callback?code=" in driver.current_url,
           "Allow redirected the browser to the command's callback")
    code, out, err = auth.finish()
    expect(code == 0, "allow: the command exits 0 (stderr: %s)" % err.replace("\n", " | "))
    expect(out == "", "allow: with --write-config nothing goes to stdout")
    mode = stat.S_IMODE(os.stat(cfg).st_mode)
    expect(mode == 0o600, "allow: the config file's mode is %o" % mode)
    config = json.load(open(cfg))
    creds = config["credentials"]
    expect(creds["auth_method"] == "oauth2.0" and creds["refresh_token"] == "mock-refresh",
           "allow: the config holds the oauth2.0 credentials with the refresh token")
    expect("Granted scopes:" in err and "Streams these scopes unlock:" in err,
           "allow: stderr names the granted scopes and what they unlock")
    expect(not any(s in err or s in text for s in ("mock-secret", "mock-refresh", "mock-code-")),
           "allow: no secret on stderr or in the browser")
    check = subprocess.run([BIN, "check", "--config", cfg], capture_output=True, text=True)
    status = [json.loads(l) for l in check.stdout.splitlines() if l.startswith("{")]
    status = [m["connectionStatus"] for m in status if m.get("type") == "CONNECTION_STATUS"]
    expect(status and status[0]["status"] == "SUCCEEDED",
           "allow: `check` with the written config: %s" % (status[0] if status else check.stdout))


def deny(driver):
    auth = Auth()
    driver.get(auth.url())
    driver.find_element(By.CSS_SELECTOR, "input[type=submit][value=Deny]").click()
    text = body_text(driver, "declined")
    expect("error=user_cancelled_authorize" in driver.current_url, "Deny redirected with error=user_cancelled_authorize")
    code, out, err = auth.finish()
    errors = [l for l in err.splitlines() if l.startswith("error: ")]
    expect(code != 0 and out == "", "deny: the command exits %d with nothing on stdout" % code)
    expect(len(errors) == 1 and "declined to authorise" in errors[0],
           "deny: one clear message: %s" % errors)
    expect("close this tab" in text, "deny: the browser page says what happened")


def wrong_state(driver):
    auth = Auth()
    driver.get(auth.url())
    # What a forged or stale link looks like: the redirect carries another state.
    driver.execute_script("document.querySelector('input[name=state]').value = 'forged-state'")
    driver.find_element(By.CSS_SELECTOR, "input[type=submit][value=Allow]").click()
    body_text(driver, "state does not match")
    expect("state=forged-state" in driver.current_url, "the tampered redirect reached the callback")
    code, out, err = auth.finish()
    errors = [l for l in err.splitlines() if l.startswith("error: ")]
    expect(code != 0 and out == "", "wrong state: the command exits %d with nothing on stdout" % code)
    expect(len(errors) == 1 and "state does not match" in errors[0],
           "wrong state: one clear message: %s" % errors)


def main():
    driver = browser()
    try:
        print("chromium " + driver.capabilities.get("browserVersion", "?"), flush=True)
        allow(driver)
        deny(driver)
        wrong_state(driver)
    finally:
        driver.quit()
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("auth in headless Chromium: allow, deny and wrong state all behave")


main()
