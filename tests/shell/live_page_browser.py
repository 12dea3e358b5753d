# SPDX-License-Identifier: BSD-2-Clause
"""The live page in a real browser: Debian's chromium, headless, driven by
selenium through chromedriver. Usage: live_page_browser.py URL ECHO_TCP_PORT
ECHO_UDP_PORT DAYTIME_TCP_PORT SCREENSHOT FLOOD_UDP_PORT ADD_MESH (daytime refuses
loopback by its ACL; flood is an echo instance with rate = 1/s; ADD_MESH a
script that adds a stamp-sender and reloads).

After a known load the page shows the exact counters; after more load the
numbers change without the page being loaded again (a marker set in the
page's window survives, and there is one navigation); the event stream's
events appear; after a UDP flood against the rate-limited instance, the
header's badge counts the drops and links to the row, and at 1280 x 800 and
800 x 600 both the badge and the row's dropped cell lie inside the viewport
with nothing wider than it (layout boxes, not pixels; a screenshot of each
width is saved beside SCREENSHOT); the Content-Security-Policy blocked
nothing; after a reload adds a stamp-sender the peers panel appears without
the page being loaded again, its peer that never answers down and first;
the screenshot is saved. Then, with JavaScript off, the daemon's own rendering shows the
same counters. Every wait is bounded (60 s), and says what it waited for.
"""
import json
import socket
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

URL, SCREENSHOT = sys.argv[1], sys.argv[5]
TCP_PORT, UDP_PORT, DAYTIME_PORT = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
FLOOD_PORT = int(sys.argv[6])
ADD_MESH = sys.argv[7]
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


def exact(driver, key, field):
    """A humanised cell's exact value (its data-value; the text is "30 B")."""
    return driver.find_element(
        By.CSS_SELECTOR, 'tr[data-row="%s"] [data-field="%s"]' % (key, field)).get_attribute("data-value")


def counters_on_page(driver):
    return (exact(driver, "echo/tcp", "sessions_total"), exact(driver, "echo/tcp", "read_bytes_total"),
            exact(driver, "echo/udp", "datagrams_in_total"),
            exact(driver, "echo/udp", "datagrams_out_total"))


def flood(n):
    """n datagrams at the rate-limited instance, as fast as they go."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(n):
            s.sendto(b"flood %d" % i, ("127.0.0.1", FLOOD_PORT))


# The layout boxes that matter, read in one script run (the page swaps its
# parts in every second): the viewport, the document's width, the badge and
# the flooded row's dropped cell.
LAYOUT = """
const box = (e) => { if (!e) return null; const r = e.getBoundingClientRect();
  return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width}; };
return {width: innerWidth, height: innerHeight,
        scroll_width: document.documentElement.scrollWidth,
        badge: box(document.getElementById("badge")),
        badge_text: document.getElementById("badge").textContent,
        dropped: box(document.querySelector('tr[data-row="flood/udp"] [data-field="dropped"]'))};
"""


def inside(b, layout):
    return (b is not None and b["width"] > 0 and b["left"] >= 0 and b["top"] >= 0
            and b["right"] <= layout["width"] and b["bottom"] <= layout["height"])


def check_layout(driver, width, height, screenshot):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_script("window.scrollTo(0, 0)")
    layout = wait_for("the badge and flood/udp's dropped cell inside %dx%d with nothing wider"
                      % (width, height),
                      lambda: (lambda l: l if l["width"] == width and inside(l["badge"], l)
                               and inside(l["dropped"], l) and l["scroll_width"] <= width
                               else False)(driver.execute_script(LAYOUT)))
    ok("at %dx%d: badge %r at %s, dropped cell at %s, document %dpx wide"
       % (width, height, layout["badge_text"].strip(), layout["badge"], layout["dropped"],
          layout["scroll_width"]))
    if not driver.save_screenshot(screenshot):
        fail("no screenshot at " + screenshot)


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
    quiet = driver.find_element(By.CSS_SELECTOR, "#events li.quiet").text
    if not quiet.startswith("no events since "):
        fail("the empty event list says %r" % quiet)
    ok("the empty event list says %r" % quiet)
    wait_for("the page's script to poll the page once",
             lambda: int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-polls") or 0) >= 1)
    first = wait_for("5 sessions and 8 datagrams on the page",
                     lambda: counters_on_page(driver) == ("5", "30", "8", "8") and counters_on_page(driver))
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
    # A flood against the rate-limited instance: its drops come first.
    flood(300)
    wait_for("flood/udp's rate drops on the page",
             lambda: cell(driver, "flood/udp", "dropped").startswith("rate "))
    badge = wait_for("the badge to count the drops and link to flood/udp's row",
                     lambda: (lambda b: b if "dropped" in b.text and "bad" in b.get_attribute("class")
                              and b.get_attribute("href").endswith("#row-flood-udp") else False)(
                         driver.find_element(By.ID, "badge")))
    ok("badge: %r" % badge.text)
    first_row = driver.find_element(By.CSS_SELECTOR, "#instances tbody tr").get_attribute("data-row")
    if first_row != "flood/udp":
        fail("the first row is %s, not the flooded one" % first_row)
    ok("the flooded row is the first")
    wait_for("the drops in the drops and refusals chart's legend",
             lambda: "dropped rate" in driver.find_element(By.ID, "chart-problems").text)
    # A row's chart on demand, still open after the page's next renderings
    # (and still within the width below).
    driver.find_element(By.CSS_SELECTOR, "#spark-row-flood-udp summary").click()
    polls = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-polls"))
    wait_for("two more renderings of the page",
             lambda: int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-polls")) >= polls + 2)
    spark = wait_for("flood/udp's chart, open, with its drops in the legend",
                     lambda: driver.execute_script(
                         "const d = document.getElementById('spark-row-flood-udp');"
                         "return d && d.open && d.querySelector('polyline.s1') ? d.textContent : false"))
    ok("flood/udp's chart stays open: %r" % " ".join(spark.split())[:120])
    base = SCREENSHOT[:-len(".png")] if SCREENSHOT.endswith(".png") else SCREENSHOT
    check_layout(driver, 1280, 800, base + "-1280.png")
    check_layout(driver, 800, 600, base + "-800.png")
    # The charts drew something in the last minutes.
    wait_for("a rate in the sessions chart",
             lambda: driver.find_element(By.ID, "peak-sessions").text not in ("", "0.0"))
    # No peers panel without a stamp-sender; once a reload adds one, the
    # panel comes in with the page's next rendering, its silent peer first.
    if driver.find_elements(By.ID, "peers-card"):
        fail("a peers panel without a stamp-sender")
    subprocess.run(["bash", ADD_MESH], check=True, timeout=PATIENCE)
    first_peer = wait_for("the peers panel, the peer that never answers down and first",
                          lambda: driver.execute_script(
                              "const r = document.querySelector('#peers tbody tr');"
                              "return r && r.dataset.peer === 'mesh/gone' && r.className === 'hot'"
                              " && r.querySelector('[data-field=up]').textContent === 'down'"
                              " && document.querySelectorAll('#peers tr[data-peer]').length === 2"
                              " ? r.textContent : false"))
    ok("peers panel, first row: %r" % " ".join(first_peer.split())[:120])
    if driver.execute_script("return window.smalldMarker") != "loaded once":
        fail("the page was loaded again for the peers panel")
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
    badge = driver.find_element(By.ID, "badge").text
    if "dropped" not in badge:
        fail("without JavaScript the badge says %r" % badge)
    ok("without JavaScript the badge says %r" % badge)
    ok("without JavaScript the page shows %r (no script ran)" % (seen,))
finally:
    driver.quit()
