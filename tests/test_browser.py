"""The page of predict_2.py --serve in a real browser: Debian's chromium and
chromedriver, driven by Selenium, nothing downloaded at run time.

The server is the real one (tests/test_serve.py's start_server, the shipped
model) on a free loopback port. The browser draws on the canvas with pointer
actions (a mouse, a touch, a pen), sends pictures through the file input,
and reads what the page shows.

Run as a script, it writes the README's screenshot with the same code:

    python tests/test_browser.py docs/page.png
"""
import os
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from conftest import ROOT
from digits import serve
from test_serve import StandIn, start_server, stop

CHROMIUM, CHROMEDRIVER = '/usr/bin/chromium', '/usr/bin/chromedriver'
SAMPLES = Path(ROOT) / 'samples'
WAIT = 60   # seconds for the page to show a reading

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason=f'no browser: {CHROMIUM} or {CHROMEDRIVER} is missing '
           '(apt-get install chromium chromium-driver; .ci/run does it as root)')


def open_browser(profile, width=1100, height=900):
    """Headless chromium through chromedriver, both Debian's (Selenium Manager,
    which would download a browser, is never asked), with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                     '--disable-background-networking', '--disable-component-update', '--disable-sync',
                     '--no-first-run', '--disable-extensions', f'--user-data-dir={profile}',
                     f'--window-size={width},{height}']:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    return driver


def by_id(driver, name):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, name)


def wait_for(driver, condition, what):
    """Wait until condition(driver) is true; fail saying `what` was awaited and what the page shows."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        WebDriverWait(driver, WAIT, poll_frequency=0.1).until(condition)
    except TimeoutException:
        pytest.fail(f'waited {WAIT} s for {what}; the page shows result '
                    f'{by_id(driver, "result").text!r}, message {by_id(driver, "message").text!r}')


def open_page(driver, url):
    """Load the page afresh and wait until it has asked the server its configuration."""
    driver.get(url)
    wait_for(driver, lambda d: d.execute_script('return document.readyState') == 'complete'
             and by_id(d, 'canvas').is_displayed(), 'the page to load')


def draw(driver, strokes, kind='mouse'):
    """Draw `strokes` (each a list of (x, y) in CSS pixels from the canvas's
    centre) with a pointer of `kind`: 'mouse', 'touch' or 'pen'."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    canvas = by_id(driver, 'canvas')
    actions = ActionBuilder(driver, mouse=PointerInput(kind, kind), duration=10)
    for stroke in strokes:
        actions.pointer_action.move_to(canvas, *map(round, stroke[0])).pointer_down()
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for t in (0.2, 0.4, 0.6, 0.8, 1.0):     # a line is many small moves, as a hand makes
                actions.pointer_action.move_to(canvas, round(x0 + t * (x1 - x0)), round(y0 + t * (y1 - y0)))
        actions.pointer_action.pointer_up()
    actions.perform()


ONE = [[(0, -100), (0, 100)]]
SEVEN = [[(-70, -95), (70, -95), (-15, 100)]]
SEVENTY_ONE = [[(-190, -95), (-60, -95), (-135, 100)], [(120, -100), (120, 100)]]


def shown(driver):
    return by_id(driver, 'result').text


def message(driver):
    return by_id(driver, 'message').text.lower()


def test_a_digit_drawn_is_read_as_you_draw(page):
    driver, url, _ = page
    open_page(driver, url)
    draw(driver, ONE)
    wait_for(driver, lambda d: shown(d) == '1', 'a drawn 1 to read as 1')
    assert message(driver) == ''
    cards = driver.find_elements('css selector', '#digits .digit')
    assert len(cards) == 1
    assert len(cards[0].find_elements('css selector', '.bars li')) == 10
    seen = cards[0].find_element('css selector', 'img')
    assert driver.execute_script('return arguments[0].naturalWidth', seen) == 28
    assert seen.value_of_css_property('image-rendering') == 'pixelated'
    by_id(driver, 'clear').click()
    wait_for(driver, lambda d: 'no digit found' in message(d), 'the no-digit message on a cleared canvas')
    assert shown(driver) == '' and not driver.find_elements('css selector', '#digits .digit')
    draw(driver, SEVEN, kind='touch')
    wait_for(driver, lambda d: shown(d) == '7', 'a 7 drawn with a finger to read as 7')
    draw(driver, [[(200, -100), (200, 100)]], kind='pen')       # a 1 beside it, then undone
    wait_for(driver, lambda d: shown(d) == '71', 'a 1 added with a pen to make it 71')
    by_id(driver, 'undo').click()
    wait_for(driver, lambda d: shown(d) == '7', 'undo to bring back the 7')


def test_numbers_drawn_one_under_another_are_read_a_row_each(page):
    driver, url, _ = page
    open_page(driver, url)
    small = lambda strokes, dx, dy: [[(x * 0.45 + dx, y * 0.45 + dy) for x, y in s] for s in strokes]
    draw(driver, small(ONE, -60, -75) + small(SEVEN, 20, -75) + small(SEVEN, -60, 75) + small(ONE, 20, 75))
    wait_for(driver, lambda d: shown(d) == '17 71', 'a 17 drawn over a 71 to read as 17 71')
    assert len(driver.find_elements('css selector', '#digits .digit')) == 4


@pytest.mark.parametrize('sample', ['7.png', '3_thin.png', '5_photo.jpg'])
def test_a_picture_sent_is_read(page, sample):
    driver, url, _ = page
    open_page(driver, url)
    by_id(driver, 'file').send_keys(str(SAMPLES / sample))
    wait_for(driver, lambda d: shown(d) == sample[0], f'{sample} to read as {sample[0]}')
    assert by_id(driver, 'picture').is_displayed()


def test_a_file_that_is_not_a_picture_says_so(page):
    driver, url, _ = page
    open_page(driver, url)
    by_id(driver, 'file').send_keys(str(Path(ROOT) / 'README.md'))
    wait_for(driver, lambda d: 'not an image file' in message(d), 'the not-a-picture message')
    assert shown(driver) == ''


def test_a_drawing_is_saved_with_its_label(page):
    driver, url, folder = page
    open_page(driver, url)
    wait_for(driver, lambda d: by_id(d, 'collect').is_displayed(), 'the save control (--collect)')
    draw(driver, ONE)
    wait_for(driver, lambda d: shown(d) == '1', 'the drawing to be read')
    by_id(driver, 'label').send_keys('1')
    by_id(driver, 'save').click()
    wait_for(driver, lambda d: 'saved as' in by_id(d, 'saved').text.lower(), 'the drawing to be saved')
    name = by_id(driver, 'saved').text.split()[-1].rstrip('.')
    assert (folder / name).is_file()
    assert (folder / 'labels.csv').read_text().splitlines()[-1] == f'{name},1'


def test_without_collect_the_save_control_is_hidden(page):
    """The page served without --collect (an in-process server with a
    stand-in reader: the page, not the model, is under test here)."""
    driver = page[0]
    server = serve.make_server(StandIn())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        open_page(driver, serve.address(server))
        by_id(driver, 'file').send_keys(str(SAMPLES / '7.png'))
        wait_for(driver, lambda d: shown(d) == '0', 'the stand-in reading')    # /config was asked first
        assert not by_id(driver, 'collect').is_displayed()
    finally:
        server.shutdown()
        server.server_close()


def test_screenshot(page, tmp_path):
    driver, url, _ = page
    path = screenshot(driver, url, tmp_path / 'page.png')
    assert path.read_bytes().startswith(b'\x89PNG') and path.stat().st_size > 10_000


def screenshot(driver, url, path):
    """The page with a number drawn and read, saved as the PNG `path`."""
    open_page(driver, url)
    draw(driver, SEVENTY_ONE)
    wait_for(driver, lambda d: len(shown(d)) == 2, 'a drawn 71 to read as a number')
    driver.save_screenshot(str(path))
    return Path(path)


@pytest.fixture(scope='module')
def page(tmp_path_factory):
    """(browser, the page's URL, the --collect folder) with the real server behind."""
    folder = tmp_path_factory.mktemp('browser') / 'collected'
    process, url = start_server('--collect', folder)
    driver = None
    try:
        driver = open_browser(tmp_path_factory.mktemp('profile'))
        yield driver, url, folder
    finally:
        if driver is not None:
            driver.quit()
        stop(process)


if __name__ == '__main__':
    with tempfile.TemporaryDirectory() as profile:
        process, url = start_server()
        driver = open_browser(profile, 1000, 760)
        try:
            print(screenshot(driver, url, sys.argv[1] if len(sys.argv) > 1 else 'page.png'))
        finally:
            driver.quit()
            stop(process)
