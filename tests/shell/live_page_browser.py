# SPDX-License-Identifier: BSD-2-Clause
"""The live page in a real browser: Debian's chromium, headless, driven by
selenium through chromedriver. Usage: live_page_browser.py URL ECHO_TCP_PORT
ECHO_UDP_PORT DAYTIME_TCP_PORT SCREENSHOT (daytime refuses loopback by its ACL).

After a known load the page shows the exact counters; after more load the
numbers change without the page being loaded again (a marker set in the
page's window survives, and there is one navigation); the event stream's
events appear; the Content-Security-Policy blocked nothing; the screenshot
is saved. Then, with JavaScript off, the daemon's own rendering shows the
same counters. Every wait is bounded (60 s), and says what it waited for.
"""
import json
import socket
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

URL, SCREENSHOT = sys.argv[1], sys.argv[5]
TCP_PORT, UDP_PORT, DAYTIME_PORT = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
PATIENCE = 60.0


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def ok(message):
    print("ok - " + message)


def wait_for(what, predicate, timeout=PATIENCE):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as error:  # the page may be between renders
            last = error
        time.sleep(0.2)
    fail("waited %ds for %s; last seen: %r" % (timeout, what, last))


def echo_sessions(n):
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", TCP_PORT), timeout=PATIENCE) as s:
            s.sendall(b"hello\n")
            got = b""
            while len(got) < 6:
                chunk = s.recv(64)
                if not chunk:
                    break
                got += chunk
            if got != b"hello\n":
                fail("echo answered %r" % got)


def datagrams(n):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(PATIENCE)
        for i in range(n):
            payload = b"datagram %d" % i
            s.sendto(payload, ("127.0.0.1", UDP_PORT))
            if s.recv(2048) != payload:
                fail("UDP echo answered something else")


def stats():
    with urllib.request.urlopen(URL + "stats.json", timeout=PATIENCE) as r:
        return json.load(r)


def row(snapshot, key):
    for r in snapshot["rows"]:
        if r["instance"] + "/" + r["proto"] == key:
            return r
    return None


def cell(driver, key, field):
    return driver.find_element(
        By.CSS_SELECTOR, 'tr[data-row="%s"] [data-field="%s"]' % (key, field)).text


def counters_on_page(driver):
    return (cell(driver, "echo/tcp", "sessions_total"), cell(driver, "echo/tcp", "read_bytes_total"),
            cell(driver, "echo/udp", "datagrams_in_total"),
            cell(driver, "echo/udp", "datagrams_out_total"))


def browser(javascript=True):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,900",
                 "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(PATIENCE)
    return driver


driver = browser()
try:
    # A known load, then the page.
    echo_sessions(5)
    datagrams(8)
    wait_for("the daemon to count the first load",
             lambda: row(stats(), "echo/tcp")["sessions_total"] == 5
             and row(stats(), "echo/udp")["datagrams_out_total"] == 8)
    driver.get(URL)
    wait_for("the page's script to poll /stats.json once",
             lambda: int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-polls") or 0) >= 1)
    first = counters_on_page(driver)
    if first != ("5", "30", "8", "8"):
        fail("after 5 sessions and 8 datagrams the page shows %r" % (first,))
    ok("after 5 echo sessions (6 bytes each) and 8 datagrams the page shows %s" % (first,))
    driver.execute_script("window.smalldMarker = 'loaded once';")
    wait_for("the event stream to open", lambda: driver.find_element(By.ID, "live").text == "LIVE")

    # More load; the page follows without being loaded again. One session
    # stays open so the live sessions table has a row.
    echo_sessions(3)
    datagrams(4)
    held = socket.create_connection(("127.0.0.1", TCP_PORT), timeout=PATIENCE)
    wait_for("the page to show 9 sessions and 12 datagrams",
             lambda: counters_on_page(driver) == ("9", "48", "12", "12"))
    ok("after 3 more sessions (and one held) and 4 more datagrams the page shows %s"
       % (counters_on_page(driver),))
    if driver.execute_script("return window.smalldMarker") != "loaded once":
        fail("the page was loaded again (its window's marker is gone)")
    navigations = driver.execute_script("return performance.getEntriesByType('navigation').length")
    if navigations != 1:
        fail("%s navigations, expected the one" % navigations)
    ok("the numbers changed without a reload")
    # The table is rendered again every second: the row's text is read inside
    # the wait, so a row replaced between finding and reading it is retried.
    session_row = wait_for("the held session in the live sessions table",
                           lambda: driver.find_element(By.CSS_SELECTOR, "#sessions tr[data-session]").text)
    ok("live sessions table: %s" % session_row)
    opens = wait_for("session_open events from /events in the event list",
                     lambda: len(driver.find_elements(By.CSS_SELECTOR, "#events li.session_open")) >= 4
                     and driver.find_elements(By.CSS_SELECTOR, "#events li.session_open"))
    ok("%d session_open events arrived over /events" % len(opens))
    # A refusal: counted by reason in the table, and a "rejected" event.
    with socket.create_connection(("127.0.0.1", DAYTIME_PORT), timeout=PATIENCE) as s:
        s.settimeout(PATIENCE)
        try:
            while s.recv(64):
                pass
        except OSError:
            pass  # a reset is a refusal too
    refused = wait_for("daytime's ACL refusal on the page",
                       lambda: cell(driver, "daytime/tcp", "refused") == "acl 1"
                       and cell(driver, "daytime/tcp", "refused"))
    ok("daytime/tcp refused: %s" % refused)
    wait_for("the refusal's event from /events",
             lambda: driver.find_elements(By.CSS_SELECTOR, "#events li.rejected"))
    ok("the refusal arrived over /events")
    # The charts drew something in the last minutes.
    wait_for("a rate in the sessions chart",
             lambda: driver.find_element(By.ID, "peak-sessions").text not in ("", "0.0"))
    time.sleep(1.5)  # one more poll, so the screenshot shows the settled page
    blocked = [e for e in driver.get_log("browser") if "Content Security Policy" in e["message"]
               or e["level"] == "SEVERE"]
    if blocked:
        fail("the browser logged: %s" % blocked)
    ok("nothing blocked by the Content-Security-Policy, no errors in the console")
    # The whole page in the picture: the window as tall as the document.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1280, "height": max(900, min(int(height), 4000)), "deviceScaleFactor": 1,
        "mobile": False})
    time.sleep(0.5)
    if not driver.save_screenshot(SCREENSHOT):
        fail("no screenshot")
    print("screenshot: " + SCREENSHOT)
    held.close()
finally:
    driver.quit()

# Without JavaScript the page is the daemon's own rendering: the counters of
# all the load above, and it says that it does not update.
driver = browser(javascript=False)
try:
    wait_for("the held session's close to be counted",
             lambda: row(stats(), "echo/tcp")["open"] == 0)
    driver.get(URL)
    seen = counters_on_page(driver) + (cell(driver, "daytime/tcp", "refused"),
                                       driver.find_element(By.ID, "live").text,
                                       driver.find_element(By.TAG_NAME, "body").get_attribute("data-polls"))
    if seen != ("9", "48", "12", "12", "acl 1", "STATIC", None):
        fail("without JavaScript the page shows %r" % (seen,))
    ok("without JavaScript the page shows %r (no script ran)" % (seen,))
finally:
    driver.quit()
