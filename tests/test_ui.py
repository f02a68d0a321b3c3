"""The web UI end to end in headless Chromium (Debian's, driven by Playwright): ask a question and
open a citation; sign in, upload a sample plan and see findings and the map; search the
knowledge base. Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.api.server import create_app
from app.api.services import Services
from app.security.access import Role
from app.settings import Settings
from app.ui.mount import mount_ui
from eval.sample_plans.cases import generate_cases
from live_server import SECRET_RULE, serving, server_data

CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "ui"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 90_000

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by "
                                "scripts/install-test-deps.sh (.ci/run runs it)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with server_data(tmp_path_factory.mktemp("ui")) as data_dir:
        services = Services(Settings(data_dir=data_dir))
        services.accounts.add_user("审查员甲", Role.REVIEWER, "杭州市", "内部",
                                   password="review-pass-1")
        with serving(mount_ui(create_app(services))) as url:
            yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(site + "/ui/")
    page.wait_for_selector("#gh-question textarea")
    yield page
    context.close()


def test_ask_and_open_a_citation(page) -> None:  # type: ignore[no-untyped-def]
    page.fill("#gh-as-of input", "2024-05-01")
    page.fill("#gh-question textarea", "农村村民一户能拥有几处宅基地？")
    page.click("#gh-ask")
    citation = page.locator("#gh-chat .gh-citation").first
    citation.wait_for()
    assert "土地管理法@2019-08-26#62" in citation.get_attribute("data-clause")
    citation.locator("summary").click()
    body = citation.locator(".gh-clause")
    body.wait_for(state="visible")
    assert "一户只能拥有一处宅基地" in body.inner_text() and "现行有效" in body.inner_text()
    assert "依据 2024-05-01 有效的条文" in page.inner_text("#gh-chat")  # the date picked
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    # The public never sees the internal Hangzhou rule, whatever it asks.
    page.fill("#gh-question textarea", "杭州市临时停车场设置期限最长多久？")
    page.click("#gh-ask")
    page.wait_for_function("document.querySelectorAll('#gh-chat .message-row, #gh-chat "
                           "[data-testid=bot]').length >= 4 && !document.querySelector('#gh-chat')"
                           ".innerText.includes('正在检索')")
    assert SECRET_RULE not in page.inner_text("#gh-chat")


def test_sign_in_review_a_plan_and_see_findings_on_the_map(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    generate_cases(tmp_path, count=1, seed=5, parcels=(8, 12))
    case = next(p for p in tmp_path.iterdir() if p.is_dir())
    page.get_by_role("tab", name="规划审查").click()
    page.click("#gh-review-start")  # the public may not review
    page.get_by_text("需要审查员或管理员账号").first.wait_for()
    page.fill("#gh-user :is(input, textarea)", "审查员甲")
    page.fill("#gh-password :is(input, textarea)", "review-pass-1")
    page.click("#gh-login")
    page.get_by_text("当前身份：审查员甲").wait_for()
    page.set_input_files("#gh-plan input[type=file]", str(next(case.glob("plan.*"))))
    page.set_input_files("#gh-parcels input[type=file]", str(case / "parcels.geojson"))
    page.set_input_files("#gh-zones input[type=file]",
                         [str(z) for z in sorted((case / "zones").iterdir())])
    page.set_input_files("#gh-conditions input[type=file]", str(case / "conditions.json"))
    page.wait_for_function("document.querySelectorAll('#gh-plan a, #gh-plan .file-name, "
                           "#gh-plan td').length > 0")
    page.click("#gh-review-start")
    page.locator("#gh-map .gh-parcel").first.wait_for()
    gold = json.loads((case / "gold.json").read_text())
    flagged = {el.get_attribute("data-parcel") for el in
               page.locator("#gh-map .gh-parcel[data-state=error]").all()}
    assert {g["subject"] for g in gold["findings"] if g["check"] != "consistency"} <= flagged
    assert set(gold["clean"]).isdisjoint(flagged)
    table = page.inner_text("#gh-findings")
    assert "违规" in table
    page.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)
    link = page.locator("#gh-reports a[download='审查报告.pdf']")
    link.wait_for()
    assert page.request.get(link.get_attribute("href")).body().startswith(b"%PDF")


def test_knowledge_search_shows_a_clause_and_its_graph(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name="知识库").click()
    page.fill("#gh-search textarea", "永久基本农田 保护")
    page.click("#gh-search-go")
    page.locator("#gh-clause .gh-citation").wait_for()
    page.locator("#gh-graph-picture svg").wait_for()
    assert page.locator("#gh-graph-picture svg circle").count() >= 2
    page.screenshot(path=str(ARTIFACTS / "knowledge.png"), full_page=True)


def test_assessment_tab_shows_warnings_map_and_report(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from eval.sample_region import RegionSpec, write_region

    paths = write_region(tmp_path, RegionSpec(rows=10, cols=30, converted=3))
    page.fill("#gh-user :is(input, textarea)", "审查员甲")
    page.fill("#gh-password :is(input, textarea)", "review-pass-1")
    page.click("#gh-login")
    page.get_by_text("当前身份：审查员甲").wait_for()
    page.get_by_role("tab", name="体检评估").click()
    page.set_input_files("#gh-as-survey input[type=file]", str(paths["survey_2024"]))
    page.set_input_files("#gh-as-base input[type=file]", str(paths["survey_2020"]))
    page.set_input_files("#gh-as-zones input[type=file]", str(paths["zones"]))
    page.set_input_files("#gh-as-stats input[type=file]", str(paths["statistics"]))
    page.set_input_files("#gh-as-targets input[type=file]", str(paths["targets"]))
    page.click("#gh-as-start")
    page.locator("#gh-as-table").get_by_text("林地保有量").wait_for()
    table = page.inner_text("#gh-as-table")
    assert "林地保有量" in table and "红色预警" in table
    assert page.locator("#gh-as-map svg[aria-label='空间预警图'] path[fill='#d9363e']").count() == 2
    page.locator("#gh-as-reports a[download='体检评估报告.pdf']").wait_for()
    page.screenshot(path=str(ARTIFACTS / "assessment.png"), full_page=True)
