"""The HTTP API over real HTTP (uvicorn on loopback) against a real store, index and graph
server: roles, region and classification scopes, masking, audit, uploads, reviews and ingest."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.api.server import create_app
from app.api.services import Services
from app.security.access import Role
from app.settings import Settings
from eval.sample_plans.cases import generate_cases
from live_server import SECRET_RULE, serving, server_data

@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Services]]:
    with server_data(tmp_path_factory.mktemp("api")) as data_dir:
        services = Services(Settings(data_dir=data_dir, upload_max_mb=2,
                                     rate_limit="1000/minute"))
        with serving(create_app(services)) as url:
            yield url, services


@pytest.fixture(scope="module")
def keys(server: tuple[str, Services]) -> dict[str, str]:
    accounts = server[1].accounts
    made = {}
    for name, role, region, clearance in [
            ("hz-staff", Role.STAFF, "杭州市", "内部"), ("nb-staff", Role.STAFF, "宁波市", "内部"),
            ("zj-public-clearance", Role.STAFF, "浙江省", "公开"),
            ("reviewer", Role.REVIEWER, "杭州市", "内部"), ("admin", Role.ADMIN, None, "敏感")]:
        accounts.add_user(name, role, region, clearance)
        made[name] = accounts.issue_key(name)
    return made


@pytest.fixture
def api(server: tuple[str, Services]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], timeout=60) as client:
        yield client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _secret_clause(services: Services) -> str:
    doc = next(r for r in services.store.documents() if r.short_name.startswith("杭州市临时停车场"))
    return next(c.id for c in services.store.clauses(doc.doc_id) if SECRET_RULE in c.text)


# --- service ----------------------------------------------------------------------------------

def test_health_and_openapi(api: httpx.Client) -> None:
    health = api.get("/healthz").json()
    assert health["status"] == "ok" and health["index"] and health["graph"]
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/v1/ask", "/v1/search", "/v1/clauses/{clause_id}", "/v1/verify", "/v1/reviews",
                 "/v1/kg/query", "/v1/documents", "/v1/chat/completions"):
        assert path in paths


def test_errors_are_json_with_a_code(api: httpx.Client) -> None:
    missing = api.get("/v1/clauses/没有这部法@2000-01-01%231")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    invalid = api.get("/v1/search", params={"q": ""})
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "invalid_request"
    bad_key = api.get("/v1/search", params={"q": "耕地"}, headers=auth("gh_nope"))
    assert bad_key.status_code == 401 and "API 密钥" in bad_key.json()["error"]["message"]


# --- scopes -----------------------------------------------------------------------------------

def test_internal_clauses_only_reach_cleared_users_of_their_region(
        api: httpx.Client, server: tuple[str, Services], keys: dict[str, str]) -> None:
    secret = _secret_clause(server[1])
    query = {"q": "临时停车场设置期限", "k": 10}

    def found(headers: dict[str, str]) -> bool:
        hits = api.get("/v1/search", params=query, headers=headers).json()["hits"]
        return any(SECRET_RULE in h["text"] for h in hits)

    assert not found({})
    assert not found(auth(keys["nb-staff"]))  # cleared, but another city's document
    assert not found(auth(keys["zj-public-clearance"]))  # right province, not cleared
    assert found(auth(keys["hz-staff"])) and found(auth(keys["admin"]))
    url = "/v1/clauses/" + secret.replace("#", "%23")
    assert api.get(url).status_code == 404
    assert api.get(url, headers=auth(keys["nb-staff"])).status_code == 404
    assert api.get(url, headers=auth(keys["hz-staff"])).json()["classification"] == "内部"
    listed = {d["doc_id"] for d in api.get("/v1/documents").json()["documents"]}
    assert secret.split("#")[0] not in listed


def test_answers_and_chat_never_use_what_the_caller_may_not_see(
        api: httpx.Client, keys: dict[str, str]) -> None:
    question = {"question": "杭州市临时停车场设置期限最长多久？"}
    public = api.post("/v1/ask", json=question).json()
    assert SECRET_RULE not in json.dumps(public, ensure_ascii=False)
    staff = api.post("/v1/ask", json=question, headers=auth(keys["hz-staff"])).json()
    assert not staff["abstained"] and any(SECRET_RULE in c["text"] for c in staff["citations"])
    chat = {"model": "guihua", "messages": [{"role": "user", "content": question["question"]}]}
    public_chat = api.post("/v1/chat/completions", json=chat).json()
    assert SECRET_RULE not in json.dumps(public_chat, ensure_ascii=False)
    staff_chat = api.post("/v1/chat/completions", json=chat, headers=auth(keys["hz-staff"])).json()
    assert SECRET_RULE in staff_chat["choices"][0]["message"]["content"]
    assert staff_chat["citations"]


def test_graph_queries_are_read_only_and_scoped(api: httpx.Client, server: tuple[str, Services],
                                                keys: dict[str, str]) -> None:
    cypher = {"cypher": "MATCH (c:Clause) WHERE c.text CONTAINS '临时停车场' RETURN c.id AS id, "
                        "c.text AS text"}
    assert api.post("/v1/kg/query", json=cypher).status_code == 403  # the public: no graph
    other_city = api.post("/v1/kg/query", json=cypher, headers=auth(keys["nb-staff"])).json()
    assert other_city["rows"] == [] and other_city["withheld"] >= 1
    text_only = {"cypher": "MATCH (c:Clause) WHERE c.text CONTAINS '十八个月' "
                           "RETURN substring(c.text, 0, 12) AS t"}
    assert api.post("/v1/kg/query", json=text_only,
                    headers=auth(keys["nb-staff"])).json()["rows"] == []
    own_city = api.post("/v1/kg/query", json=cypher, headers=auth(keys["hz-staff"])).json()
    assert any(SECRET_RULE in row["text"] for row in own_city["rows"])
    write = {"cypher": "CREATE (x:Clause {id: 'forged'}) RETURN x"}
    refused = api.post("/v1/kg/query", json=write, headers=auth(keys["hz-staff"]))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "read_only"


def test_personal_data_is_masked_for_roles_that_may_not_see_it(
        api: httpx.Client, keys: dict[str, str]) -> None:
    query = {"q": "宅基地审批公示 申请人 联系电话", "k": 5}
    public = json.dumps(api.get("/v1/search", params=query).json(), ensure_ascii=False)
    assert "13912345678" not in public and "330106198807154321" not in public
    assert "139****5678" in public
    reviewer = json.dumps(api.get("/v1/search", params=query,
                                  headers=auth(keys["reviewer"])).json(), ensure_ascii=False)
    assert "13912345678" in reviewer and "330106198807154321" in reviewer


def test_streamed_answers_carry_their_citations(api: httpx.Client) -> None:
    body = {"question": "农村村民一户能拥有几处宅基地？", "stream": True}
    with api.stream("POST", "/v1/ask", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line.removeprefix("event: ") for line in response.iter_lines()
                  if line.startswith("event: ")]
    assert events[0] == "status" and "delta" in events and "citation" in events
    assert events[-1] == "done"


def _finished(api: httpx.Client, job: dict, key: str) -> dict:
    """Poll a background job until it ends."""
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
        job = api.get(job["links"]["status"], headers=auth(key)).json()
    return job


# --- reviews ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("case")
    generate_cases(folder, count=1, seed=5, parcels=(8, 12))
    return next(folder.iterdir())


def test_a_review_job_from_upload_to_report(api: httpx.Client, keys: dict[str, str],
                                            case: Path) -> None:
    plan = next(case.glob("plan.*"))
    files = [("plan", (plan.name, plan.read_bytes())),
             ("parcels", ("parcels.geojson", (case / "parcels.geojson").read_bytes())),
             ("conditions", ("conditions.json", (case / "conditions.json").read_bytes()))]
    files += [("zones", (z.name, z.read_bytes())) for z in sorted((case / "zones").iterdir())]
    assert api.post("/v1/reviews", files=files).status_code == 403  # the public may not
    submitted = api.post("/v1/reviews", files=files, headers=auth(keys["reviewer"]))
    assert submitted.status_code == 202, submitted.text
    job = _finished(api, submitted.json(), keys["reviewer"])
    assert job["status"] == "done", job
    result = api.get(job["links"]["result"], headers=auth(keys["reviewer"])).json()
    gold = json.loads((case / "gold.json").read_text())
    found = {(f["subject"], f["check"]) for f in result["findings"]}
    assert {(g["subject"], g["check"]) for g in gold["findings"]} <= found
    pdf = api.get(job["links"]["report_pdf"], headers=auth(keys["reviewer"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert api.get(job["links"]["result"], headers=auth(keys["hz-staff"])).status_code in (403, 404)


def test_uploads_are_checked_before_parsing(api: httpx.Client, keys: dict[str, str]) -> None:
    headers = auth(keys["reviewer"])
    fake = api.post("/v1/reviews", files=[("plan", ("plan.pdf", b"just some text, not a PDF"))],
                    headers=headers)
    assert fake.status_code == 415 and fake.json()["error"]["code"] == "unsupported_type"
    big = api.post("/v1/reviews", files=[("plan", ("plan.pdf", b"%PDF-1.7\n" + b"0" * (3 << 20)))],
                   headers=headers)
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    # A client announcing a 500 MB upload is answered before it sends the body.
    host, port = api.base_url.host, api.base_url.port
    with socket.create_connection((host, port), timeout=10) as raw:
        raw.sendall((f"POST /v1/reviews HTTP/1.1\r\nHost: {host}\r\n"
                     f"Authorization: {headers['Authorization']}\r\n"
                     "Content-Type: multipart/form-data; boundary=x\r\n"
                     f"Content-Length: {500 << 20}\r\n\r\n").encode())
        status_line = raw.recv(4096).split(b"\r\n", 1)[0]
    assert b" 413 " in status_line


# --- admin ------------------------------------------------------------------------------------

def test_admins_ingest_and_remove_documents(api: httpx.Client, keys: dict[str, str],
                                            tmp_path: Path) -> None:
    doc = "# 宁波市湿地巡护内部规程\n\n第一条　湿地巡护记录应当保存不少于七年。\n"
    upload = [("file", ("宁波市湿地巡护内部规程.md", doc.encode()))]
    form = {"classification": "内部", "region": "宁波市"}
    assert api.post("/v1/documents", files=upload, data=form,
                    headers=auth(keys["hz-staff"])).status_code == 403
    job = api.post("/v1/documents", files=upload, data=form, headers=auth(keys["admin"])).json()
    job = _finished(api, job, keys["admin"])
    assert job["status"] == "done", job
    doc_id = job["result"]["outcomes"][0]["doc_id"]
    query = {"q": "湿地巡护记录保存", "k": 3}

    def texts(key: str) -> str:
        return json.dumps(api.get("/v1/search", params=query, headers=auth(key)).json(),
                          ensure_ascii=False)
    assert "七年" in texts(keys["nb-staff"]) and "七年" not in texts(keys["hz-staff"])
    removed = api.delete(f"/v1/documents/{doc_id}", headers=auth(keys["admin"]))
    assert removed.status_code == 200
    assert "七年" not in texts(keys["nb-staff"])


def test_every_data_request_is_audited(api: httpx.Client, keys: dict[str, str]) -> None:
    api.get("/v1/search", params={"q": "耕地保护 审计"}, headers=auth(keys["hz-staff"]))
    assert api.get("/v1/audit", headers=auth(keys["hz-staff"])).status_code == 403
    entries = api.get("/v1/audit", params={"user": "hz-staff"},
                      headers=auth(keys["admin"])).json()["entries"]
    newest = entries[0]
    assert newest["action"] == "audit" or newest["path"] == "/v1/search"
    searched = [e for e in entries if e["path"] == "/v1/search"]
    assert searched and searched[0]["status"] == 200 and searched[0]["role"] == "staff"
    assert "耕地" in (searched[0]["target"] or "") or "%E8%80%95" in (searched[0]["target"] or "")


def test_an_assessment_job_from_upload_to_report(api: httpx.Client, keys: dict[str, str],
                                                 tmp_path: Path) -> None:
    from eval.sample_region import RegionSpec, write_region

    paths = write_region(tmp_path, RegionSpec(rows=10, cols=30, converted=3))
    files = [("survey", ("survey_2024.gpkg", paths["survey_2024"].read_bytes())),
             ("base_survey", ("survey_2020.gpkg", paths["survey_2020"].read_bytes())),
             ("zones", ("zones.geojson", paths["zones"].read_bytes())),
             ("statistics", ("statistics.csv", paths["statistics"].read_bytes())),
             ("targets", ("targets.csv", paths["targets"].read_bytes()))]
    form = {"region": "样例县", "year": "2024", "base_year": "2020"}
    assert api.post("/v1/assessments", files=files, data=form).status_code == 403
    submitted = api.post("/v1/assessments", files=files, data=form,
                         headers=auth(keys["hz-staff"]))
    assert submitted.status_code == 202, submitted.text
    job = _finished(api, submitted.json(), keys["hz-staff"])
    assert job["status"] == "done", job
    result = api.get(job["links"]["result"], headers=auth(keys["hz-staff"])).json()
    assert {w["name"]: w["level"] for w in result["warnings"]}["林地保有量"] == "red"
    assert len(result["spatial_warnings"]) == 2
    # The new construction in 永久基本农田 is tied to the clause that forbids it, verified.
    cited = {b["clause_id"] for b in result["basis"]}
    assert "土地管理法@2019-08-26#35" in cited
    assert any("[土地管理法@2019-08-26#35]" in p for p in result["narrative"]["paragraphs"])
    pdf = api.get(job["links"]["report_pdf"], headers=auth(keys["hz-staff"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    wrong = api.post("/v1/assessments", data=form, headers=auth(keys["hz-staff"]),
                     files=[("survey", ("survey.gpkg", b"not a geopackage"))])
    assert wrong.status_code == 415
