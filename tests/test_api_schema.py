"""Schemathesis against the served OpenAPI schema: generated requests to every operation, as an
administrator (the deepest paths), must never get a server error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from app.api.server import create_app
from app.api.services import Services
from app.security.access import Role
from app.settings import Settings
from live_server import serving, server_data


@pytest.fixture(scope="module")
def admin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Services]]:
    with server_data(tmp_path_factory.mktemp("fuzz")) as data_dir:
        services = Services(Settings(data_dir=data_dir, rate_limit="100000/minute",
                                     upload_max_mb=1))
        services.accounts.add_user("fuzz-admin", Role.ADMIN, None, "敏感")
        key = services.accounts.issue_key("fuzz-admin")
        with serving(create_app(services)) as url:
            yield url, key, services


def test_no_server_errors(admin_site: tuple[str, str, Services]) -> None:
    url, key, services = admin_site
    api = schemathesis.openapi.from_url(f"{url}/openapi.json")
    headers = {"Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()
    # Every generated request reached the app (each is audited).
    assert len(services.audit.recent(1000, user="fuzz-admin")) >= 10 * len(operations)
