"""The statistics dashboard at /thong-ke in a real Chromium: every figure on the page is the API's for the same
release and level, withheld figures show no number, the map names the 34 provinces, axe finds nothing, a token
of another scope gets a Vietnamese message; screenshots go to docs/screenshots/.

The data is seeded through the statistics' own functions (learners enrolled as the progress code does, releases
published by app.stats.release) into a database of the configured kind (SQLite, or PostgreSQL with
TEST_DATABASE_URL), with the noise off as in tests/conftest.py, then the real server reads it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from app.catalogue.importer import import_content
from app.config import Settings
from app.db import make_engine, migrate
from app.localities.official import COMMUNES_BY_PROVINCE, PROVINCES
from app.stats import release as releasing
from app.stats import service as stats_service
from tests.conftest import CONTENT, _empty_database
from tests.stats.seeding import enrol, new_key
from tests.web.conftest import AXE, ROOT, Server, serving

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "docs" / "screenshots"
FIRST_LOAD_BUDGET = 300_000  # bytes as sent (gzip): everything /thong-ke loads before any API answer
K = 3
EMPTY = ("11", "12", "44", "52", "86", "96")  # no learner at all: withheld, as is 79 with its 2 learners
SPREAD = [code for code in PROVINCES if code not in (*EMPTY, "01", "08", "22", "79", "92")]
# (commune, course, started, completed) per release. 01 Hà Nội, 08 Tuyên Quang and 22 Quảng Ninh have several
# communes; 79 Hồ Chí Minh has 2 learners (withheld); 92 Cần Thơ has no adult-population target (no coverage).
WAVES = [
    [("00070", "an-toan", 5, 4), ("00004", "an-toan", 4, 2), ("00691", "an-toan", 6, 3)]
    + [(COMMUNES_BY_PROVINCE[code][0].code, "an-toan", 3 + i % 6, i % 4) for i, code in enumerate(SPREAD)],
    [("00691", "tu-chon", 4, 2), ("06652", "an-toan", 6, 3), ("25747", "an-toan", 2, 1), ("00025", "an-toan", 2, 0)]
    + [(COMMUNES_BY_PROVINCE[code][1].code, "tu-chon", 3, 1 + i % 3) for i, code in enumerate(SPREAD[::3])],
    [("31120", "tu-chon", 3, 3), ("06652", "tu-chon", 3, 1), ("00070", "tu-chon", 3, 1)],
]
RELEASE_DAYS = [datetime(2026, 11, 30, 17, 0, tzinfo=UTC), datetime(2026, 12, 2, 17, 0, tzinfo=UTC)]
RELEASE_DAYS.append(datetime(2026, 12, 4, 17, 0, tzinfo=UTC))  # 00:00 on 1, 3 and 5 December in Vietnam
# Adults per province (a small pilot, so that coverage reads in whole percents) and two communes of their own.
TARGETS = {code: 40 + 10 * (i % 7) for i, code in enumerate(SPREAD)} | {"01": 90, "08": 60, "22": 50}
TARGETS |= {"00070": 20, "06652": 25}
COUNT_FIELDS = ("learners", "completed", "target", "flagged")
RATE_FIELDS = ("completion_rate", "coverage_rate")


def seed_country(url: str, workdir: Path) -> None:
    """Three releases of a small country, each after a wave of learners, through the service's functions."""
    settings = Settings(
        database_url=url,
        app_env="test",
        dev_secrets_file=workdir / "seed-secrets.json",
        suppression_k=K,
        stats_sigma_commune=0,
        stats_sigma_area=0,
        stats_satisfaction_min_ratings=3,
        stats_release_auto=False,
    )
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        import_content(session, CONTENT)
        stats_service.save_targets(session, targets=TARGETS)
        for wave, as_of in zip(WAVES, RELEASE_DAYS, strict=True):
            for commune, course, started, completed in wave:
                for i in range(started):
                    at = as_of.replace(hour=3)
                    enrol(
                        session,
                        learner_key=new_key(),
                        commune=commune,
                        course=course,
                        completed_at=at if i < completed else None,
                    )
            releasing.publish(session, settings=settings, slot=f"seed-{as_of:%Y%m%d}", as_of=as_of, keep=31)
            session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def stats_server(tmp_path_factory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("thong-ke")
    with _empty_database(workdir / "stats.db") as url:
        seed_country(url, workdir)
        settings = {
            "DATABASE_URL": url,
            "SUPPRESSION_K": str(K),
            "STATS_SIGMA_COMMUNE": "0",
            "STATS_SIGMA_AREA": "0",
            "STATS_RELEASE_AUTO": "false",
            "RATE_LIMIT_STATS_READS": "100000/minute",
        }
        with serving(workdir, **settings) as running:
            yield running


def dev_token(server: Server, body: dict) -> str:
    reply = httpx.post(f"{server.base}/api/v1/dev/token", json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()["token"]


@pytest.fixture(scope="module")
def stats_token(stats_server) -> str:
    return dev_token(stats_server, {"scope": "stats"})


def api(server: Server, token: str, path: str, **params) -> httpx.Response:
    clean = {k: v for k, v in params.items() if v is not None}
    return httpx.get(f"{server.base}/api/v1/stats/{path}", params=clean, headers={"Authorization": f"Bearer {token}"})


def open_dashboard(browser, server: Server, token: str, *, width: int = 1280, height: int = 800, **kwargs):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", **kwargs)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server.base}/thong-ke#token={token}")
    page.wait_for_selector("html[data-refreshed]")
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def refreshed(page) -> int:
    return int(page.evaluate("document.documentElement.dataset.refreshed || '0'"))


def until_refreshed(page, before: int) -> None:
    page.wait_for_selector(f"html[data-refreshed='{before + 1}']", state="attached")


def table_rows(page, container: str) -> dict[str, dict]:
    """code -> {name, field -> {value, margin, text, withheld}} as the page shows them."""
    return page.evaluate(
        """(selector) => Object.fromEntries([...document.querySelectorAll(`${selector} tr[data-code]`)].map((tr) => [
            tr.dataset.code,
            {
              name: tr.querySelector("th").innerText.trim(),
              level: tr.dataset.level,
              cells: Object.fromEntries([...tr.querySelectorAll("td[data-field]")].map((td) => [td.dataset.field, {
                value: td.querySelector(".value")?.textContent ?? null,
                margin: td.querySelector(".margin")?.textContent ?? null,
                text: td.innerText,
                withheld: td.dataset.withheld === "true",
              }])),
            },
          ]))""",
        container,
    )


def parse(text: str) -> float:
    """'1.234' -> 1234, '66,67 %' -> 0.6667, '± 0' -> 0 (vi-VN: '.' groups thousands, ',' is the decimal)."""
    number = text.replace("±", "").replace("%", "").replace("\u00a0", " ").strip().replace(".", "").replace(",", ".")
    value = float(number)
    return value / 100 if "%" in text else value


def assert_table_equals_api(shown: dict[str, dict], body: dict) -> None:
    rows = [*body["rows"], *([body["province"]] if body.get("province") else []), body["total"]]
    assert set(shown) == {r["code"] for r in rows}
    for row in rows:
        page_row = shown[row["code"]]
        assert page_row["name"] == row["name"]
        for field, cell in page_row["cells"].items():
            value = row[field]
            if value is None:
                assert cell["value"] is None and not re.search(r"\d", cell["text"]), (row["code"], field, cell)
                continue
            assert parse(cell["value"]) == pytest.approx(value, rel=1e-9, abs=1e-12), (row["code"], field, cell)
            margin = row.get(f"{field}_margin")
            if margin is not None:
                assert cell["margin"] is not None and parse(cell["margin"]) == pytest.approx(margin, abs=1e-12)
        if row["learners"] is None:  # a withheld row: not one digit in any figure (the adults given are no figure)
            figures = [c for field, c in page_row["cells"].items() if field != "target"]
            assert all(not re.search(r"\d", c["text"]) for c in figures), page_row


def same_file(got: bytes, expected: bytes) -> bool:
    """Byte for byte; a workbook part for part, but for the moment it was written (docProps/core.xml)."""
    if not got.startswith(b"PK"):
        return got == expected

    def parts(body: bytes) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}

    return parts(got) == parts(expected)


def axe_violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate(
        """async () => (await axe.run(document, {
              runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
              resultTypes: ['violations'],
           })).violations"""
    )
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result]


def test_every_figure_equals_the_api_for_the_same_release_and_level(browser, stats_server, stats_token):
    context, page = open_dashboard(browser, stats_server, stats_token)
    releases = api(stats_server, stats_token, "releases").json()["releases"]
    assert [r["id"] for r in releases] == sorted((r["id"] for r in releases), reverse=True) and len(releases) == 3

    # The latest release, all courses, then one course; then an earlier release.
    latest = api(stats_server, stats_token, "completion", release=releases[0]["id"]).json()
    assert_table_equals_api(table_rows(page, "#province-table"), latest)
    assert latest["rows"][0]["learners"] is not None  # the comparison is not of empty tables

    before = refreshed(page)
    page.get_by_label("Khóa học", exact=True).select_option("tu-chon")
    until_refreshed(page, before)
    course = api(stats_server, stats_token, "completion", course="tu-chon", release=releases[0]["id"]).json()
    assert_table_equals_api(table_rows(page, "#province-table"), course)

    before = refreshed(page)
    page.get_by_label("Xem đợt công bố", exact=True).select_option(str(releases[-1]["id"]))
    until_refreshed(page, before)
    earlier = api(stats_server, stats_token, "completion", course="tu-chon", release=releases[-1]["id"]).json()
    assert_table_equals_api(table_rows(page, "#province-table"), earlier)
    assert "Đợt công bố số " + str(releases[-1]["id"]) in page.locator("#release-stamp").inner_text()

    # The communes of Hà Nội (all courses: the only commune table published).
    before = refreshed(page)
    page.get_by_label("Khóa học", exact=True).select_option("")
    until_refreshed(page, before)
    page.get_by_role("button", name="Thành phố Hà Nội: xem các xã, phường").click()
    page.locator("#commune-table tr[data-code='00070']").wait_for()
    communes = api(stats_server, stats_token, "completion", province="01", release=releases[-1]["id"]).json()
    assert_table_equals_api(table_rows(page, "#commune-table"), communes)
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def test_withheld_figures_never_show_a_number_on_the_table_or_the_map(browser, stats_server, stats_token):
    context, page = open_dashboard(browser, stats_server, stats_token)
    body = api(stats_server, stats_token, "completion").json()
    withheld = {r["code"] for r in body["rows"] if r["learners"] is None}
    assert "79" in withheld and "01" not in withheld  # Hồ Chí Minh has 2 learners, below k = 3
    shown = table_rows(page, "#province-table")
    for code in withheld:
        for field, cell in shown[code]["cells"].items():
            if field == "target":  # the adults an administrator gave: not a figure of the release
                continue
            assert cell["withheld"] and not re.search(r"\d", cell["text"]) and "ẩn" in cell["text"]
    tiles = page.evaluate(
        """() => [...document.querySelectorAll("#map g.tiles-withheld rect")]
              .map((r) => ({fill: r.parentNode.getAttribute('fill'), title: r.querySelector('title').textContent}))"""
    )
    assert len(tiles) == len(withheld) and all(t["fill"] == "url(#hatch)" for t in tiles)
    assert all(not re.search(r"\d", t["title"]) for t in tiles)
    values = page.evaluate("""() => [...document.querySelectorAll("#map g.tile-values text")].length""")
    assert values == 34 - len(withheld) - sum(
        1 for r in body["rows"] if r["learners"] is not None and r["coverage_rate"] is None
    )
    legend = page.locator("#legend").inner_text()
    assert "Gạch chéo: số liệu bị ẩn" in legend and f"ít hơn {K} người học" in legend
    context.close()


def test_the_map_names_the_34_provinces_in_vietnamese(browser, stats_server, stats_token):
    context, page = open_dashboard(browser, stats_server, stats_token)
    labels = page.evaluate(
        """() => [...document.querySelectorAll("#map g.tile-names text")].map((t) =>
              (t.querySelectorAll('tspan').length ? [...t.querySelectorAll('tspan')].map((s) => s.textContent).join(' ')
                                                  : t.textContent))"""
    )
    expected = sorted(p.name.removeprefix("Thành phố ") for p in PROVINCES.values())
    assert sorted(labels) == expected and len(labels) == 34
    titles = page.evaluate("""() => [...document.querySelectorAll("#map rect title")].map((t) => t.textContent)""")
    assert sorted(t.split(":")[0] for t in titles) == sorted(p.name for p in PROVINCES.values())
    # Colouring by completion rate is the reader's choice; the legend follows.
    page.get_by_label("Tỷ lệ hoàn thành (so với người học)").check()
    page.locator("#legend svg[aria-label^='Thang màu của tỷ lệ hoàn thành']").wait_for()
    assert page.locator("#map svg").get_attribute("aria-label").endswith("tỷ lệ hoàn thành (hoàn thành ÷ người học)")
    context.close()


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 800, "desktop"), (360, 640, "mobile")])
def test_screenshots_and_no_axe_violation(browser, stats_server, stats_token, artifacts, width, height, name):
    context, page = open_dashboard(browser, stats_server, stats_token, width=width, height=height, bypass_csp=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if name == "mobile":
        page.locator("#map-box").scroll_into_view_if_needed()
        page.evaluate("document.querySelector('#map-box').scrollIntoView({block: 'start'})")
    else:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"thong-ke-{name}.png"))
    page.screenshot(path=str(artifacts / f"thong-ke-{name}-full.png"), full_page=True)
    assert axe_violations(page) == []
    # With the communes and the series table open too.
    page.get_by_role("button", name="Thành phố Hà Nội: xem các xã, phường").click()
    page.locator("#commune-table tr[data-code='00070']").wait_for()
    page.locator("details.series-table summary").click()
    assert axe_violations(page) == []
    page.screenshot(path=str(artifacts / f"thong-ke-{name}-communes.png"), full_page=True)
    context.close()


def test_a_learner_token_gets_a_vietnamese_message(browser, stats_server):
    learner = dev_token(stats_server, {"locality": "00070"})
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{stats_server.base}/thong-ke#token={learner}")
    alert = page.get_by_role("alert")
    alert.get_by_text("không có quyền xem thống kê").wait_for()
    assert "quyền hiện có: người học" in alert.inner_text()
    assert page.url.endswith("/thong-ke")  # the token left the address at once
    assert page.locator("#dashboard").is_hidden()
    page.get_by_role("button", name="Đăng xuất và dùng mã khác").click()
    page.get_by_role("heading", name="Đăng nhập").wait_for()
    context.close()


def test_dev_sign_in_and_a_token_by_post_message(browser, stats_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{stats_server.base}/thong-ke")
    page.get_by_role("button", name="Đăng nhập thử (quyền thống kê)").click()
    page.wait_for_selector("html[data-refreshed]")
    assert page.locator("#province-table tr[data-code]").count() == 35
    page.get_by_role("button", name="Đăng xuất").first.click()
    page.get_by_role("heading", name="Đăng nhập").wait_for()
    token = dev_token(stats_server, {"scope": "stats", "sub": "host-handed"})
    before = refreshed(page)
    page.evaluate("(token) => window.postMessage({type: 'bdhvs:token', token}, location.origin)", token)
    until_refreshed(page, before)
    assert page.locator("#dashboard").is_visible()
    # A learner's token handed over next hides the figures and says why.
    learner = dev_token(stats_server, {"locality": "00070"})
    page.evaluate("(token) => window.postMessage({type: 'bdhvs:token', token}, location.origin)", learner)
    page.get_by_role("alert").get_by_text("không có quyền xem thống kê").wait_for()
    assert page.locator("#dashboard").is_hidden()
    context.close()


def test_the_table_sorts_by_any_column_with_empty_figures_last(browser, stats_server, stats_token):
    context, page = open_dashboard(browser, stats_server, stats_token)
    header = page.locator("#province-table th", has=page.get_by_role("button", name="Người học"))
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    body = api(stats_server, stats_token, "completion").json()
    order = page.locator("#province-table tbody tr").evaluate_all("(rows) => rows.map((r) => r.dataset.code)")
    learners = {r["code"]: r["learners"] for r in body["rows"]}
    shown = [learners[code] for code in order]
    published = [n for n in shown if n is not None]
    assert published == sorted(published) and shown[len(published) :] == [None] * (len(shown) - len(published))
    page.locator("#province-table th[aria-sort] button").press("Enter")  # the keyboard reverses it
    header = page.locator("#province-table th[aria-sort]")
    assert header.get_attribute("aria-sort") == "descending"
    order = page.locator("#province-table tbody tr").evaluate_all("(rows) => rows.map((r) => r.dataset.code)")
    assert [learners[c] for c in order][: len(published)] == sorted(published, reverse=True)
    context.close()


def test_communes_by_course_are_not_published_and_the_page_says_why(browser, stats_server, stats_token):
    context, page = open_dashboard(browser, stats_server, stats_token, width=360, height=640)
    before = refreshed(page)
    page.get_by_label("Khóa học", exact=True).select_option("an-toan")
    until_refreshed(page, before)
    page.get_by_role("button", name="Thành phố Hà Nội: xem các xã, phường").click()
    note = page.locator("#communes-note")
    note.get_by_text("chỉ được công bố cho tất cả khóa học gộp lại").wait_for()
    assert page.locator("#commune-table tr").count() == 0
    assert api(stats_server, stats_token, "completion", course="an-toan", province="01").json()["error"]["code"] == (
        "commune_by_course_not_published"
    )
    before = refreshed(page)
    note.get_by_role("button", name="Xem các xã cho tất cả khóa học").click()
    until_refreshed(page, before)
    page.locator("#commune-table tr[data-code='00070']").wait_for()
    context.close()


def test_downloads_are_exactly_what_the_api_serves_for_what_is_shown(browser, stats_server, stats_token):
    context, page = open_dashboard(browser, stats_server, stats_token, accept_downloads=True)
    before = refreshed(page)
    page.get_by_label("Khóa học", exact=True).select_option("tu-chon")
    until_refreshed(page, before)
    latest = api(stats_server, stats_token, "releases").json()["releases"][0]["id"]
    for fmt, label in (("csv", "Tải bảng (CSV)"), ("xlsx", "Tải bảng (Excel)")):
        with page.expect_download() as info:
            page.get_by_role("button", name=label).click()
        download = info.value
        expected = api(stats_server, stats_token, "completion", course="tu-chon", release=latest, format=fmt)
        assert same_file(Path(download.path()).read_bytes(), expected.content)
        assert download.suggested_filename == f"completion_tu-chon_provinces_release-{latest}.{fmt}"
    page.get_by_label("Địa bàn", exact=True).select_option("01")
    page.locator("#series-title", has_text="Hà Nội").wait_for()
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải chuỗi số liệu (CSV)").click()
    expected = api(
        stats_server, stats_token, "timeseries", course="tu-chon", province="01", release=latest, format="csv"
    )
    assert Path(info.value.path()).read_bytes() == expected.content
    context.close()


def test_series_release_picker_noise_note_and_print(browser, stats_server, stats_token):
    context, page = open_dashboard(browser, stats_server, stats_token)
    series = api(stats_server, stats_token, "timeseries").json()
    days = [r for r in series["rows"] if r["running_total"] is not None]
    assert len(days) == 3 and len(series["rows"]) == 5  # releases on days 1, 3 and 5: two gaps
    page.locator("details.series-table summary").click()
    shown = page.locator("details.series-table tbody tr").all_inner_texts()
    assert len(shown) == 3 and [parse(t.split("\t")[2].split("±")[0]) for t in shown] == [
        d["running_total"] for d in days
    ]
    assert page.locator("#series svg").count() == 2
    options = page.locator("#release option").all_inner_texts()
    assert options[0].startswith("Đợt ") and "00:00 ngày 05/12/2026" in options[0] and "(mới nhất)" in options[0]
    assert "00:00 ngày 01/12/2026" in options[-1]
    note = page.locator("#noise-note").inner_text()
    assert "không cộng nhiễu" in note and f"ít hơn {K} người học" in note  # the tests' releases have no noise
    # Print: an A4 page with the release, the map and the table, without the controls.
    page.emulate_media(media="print")
    assert page.locator("#controls").is_hidden() and page.locator("#printed").is_visible()
    assert page.locator("#printed").inner_text().startswith("In ngày ")
    assert page.locator("#map svg").is_visible() and page.locator("#province-table table").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    context.close()


def test_first_load_is_under_budget(browser, stats_server, stats_token):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url) if "/api/" not in r.url else None)
    page.goto(f"{stats_server.base}/thong-ke#token={stats_token}")
    page.wait_for_selector("html[data-refreshed]")
    sizes = {}
    for url in loaded:
        with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as reply:
            assert reply.status_code == 200, url
            sizes[url.removeprefix(stats_server.base)] = sum(len(chunk) for chunk in reply.iter_raw())
    total = sum(sizes.values())
    print(f"\nfirst load of /thong-ke: {total:,} bytes as sent (gzip) in {len(sizes)} files", json.dumps(sizes))
    assert all(path.startswith(("/thong-ke", "/web/icons/", "/web/pages.js")) for path in sizes), sizes
    assert "/web/pages.js" in sizes  # the sign-in and DOM helper shared with /soan-bai
    assert total < FIRST_LOAD_BUDGET
    context.close()


def test_the_page_and_its_files_are_served_and_the_dev_sign_in_only_in_development(stats_server):
    page = httpx.get(f"{stats_server.base}/thong-ke")
    assert page.status_code == 200 and '<html lang="vi">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{stats_server.base}/thong-ke/main.js").headers["content-type"].startswith("text/javascript")
    for path in (
        "/thong-ke/../router.py",
        "/thong-ke/%2e%2e/stats_page.py",
        "/thong-ke/index.html",
        "/thong-ke/nope.js",
    ):
        assert httpx.get(f"{stats_server.base}{path}").status_code == 404, path
    assert (ROOT / "app/web/stats/vendor/plot/LICENSE").is_file() and (
        ROOT / "app/web/stats/vendor/d3/LICENSE"
    ).is_file()


def test_the_dashboard_signs_in_through_the_one_dev_token_route(settings, engine):
    """The dashboard's dev sign-in is `POST /dev/token` with scope stats (tests/web/test_router.py tests the route)."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    on = TestClient(create_app(settings.model_copy(update={"dev_tokens": True}), engine=engine))
    token = on.post("/api/v1/dev/token", json={"scope": "stats"}).json()["token"]
    assert on.app.state.verifier.verify(token).scopes == {"stats"}
    assert on.post("/api/v1/dev/token", json={"scope": "stats", "sub": ""}).status_code == 422  # the page's probe
    assert on.post("/api/v1/dev/stats-token", json={}).status_code == 404  # no second route
    paths = on.app.openapi()["paths"]
    assert [path for path in paths if path.startswith("/api/v1/dev/")] == ["/api/v1/dev/token"]
    assert "/thong-ke" not in paths  # the page is no API operation
    source = (ROOT / "app/web/stats/api.js").read_text()
    assert 'from "/web/pages.js"' in source and "sessionStorage.getItem" not in source  # the shared sign-in


def test_the_tile_layout_places_each_of_the_34_provinces_once():
    source = (ROOT / "app/web/stats/tiles.js").read_text()
    layout = {code: (int(col), int(row)) for code, col, row in re.findall(r'"(\d\d)": \[(\d+), (\d+),', source)}
    assert set(layout) == set(PROVINCES)
    assert len(set(layout.values())) == 34  # no two provinces on one tile
    assert all(0 <= col < 5 and 0 <= row < 17 for col, row in layout.values())  # COLUMNS, ROWS in tiles.js
