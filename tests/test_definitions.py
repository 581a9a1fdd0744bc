"""The definitions load, and their asset keys, groups, job and schedule are stable."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs import build_definitions

EXPECTED_TABLES = {
    "raw_anthropic": {"claude_code_usage", "claude_code_actor_days", "messages_usage",
                      "cost_report", "users", "api_keys"},
    "raw_openai": {"completions_usage", "costs", "users"},
    "raw_cursor": {"members", "daily_usage", "usage_events", "spend"},
    "raw_copilot": {"user_day_metrics", "seats", "ai_credit_usage"},
    "raw_github": {"pull_requests", "pull_request_commits", "pull_request_reviews",
                   "pull_request_review_threads", "pull_request_labels", "pull_request_files",
                   "pull_request_timeline_events"},
}  # fmt: skip


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions()


def test_asset_keys_and_groups(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    keys = {tuple(k.path) for k in graph.get_all_asset_keys()}
    expected = {(ds, t) for ds, tables in EXPECTED_TABLES.items() for t in tables}
    assert expected | {("git", "mirrors")} <= keys
    for dataset, table in expected:
        node = graph.get(dg.AssetKey([dataset, table]))
        assert node.group_name == f"ingest_{dataset.removeprefix('raw_')}"
        assert node.partitions_def is not None


def test_job_schedule_checks(defs: dg.Definitions) -> None:
    extract = defs.resolve_job_def("tokenworth_extract")
    transform = defs.resolve_job_def("tokenworth_transform")
    assert extract.partitions_def is not None and transform.partitions_def is not None
    graph = defs.resolve_asset_graph()
    extract_groups = {graph.get(k).group_name for k in extract.asset_layer.executable_asset_keys}
    transform_groups = {
        graph.get(k).group_name for k in transform.asset_layer.executable_asset_keys
    }
    # Every source in the extraction, dbt alone in the transform: a failed source cannot skip
    # the warehouse build.
    assert {f"ingest_{s}" for s in ("anthropic", "github", "git", "people")} <= extract_groups
    assert all(g.startswith("ingest_") for g in extract_groups)
    assert transform_groups and not any(g.startswith("ingest_") for g in transform_groups)
    schedule = defs.resolve_schedule_def("tokenworth_nightly_schedule")
    assert schedule.job_name == "tokenworth_extract"
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone in (None, "UTC")
    # The transform follows every extraction, successful or not.
    sensors = {s.name: s for s in defs.sensors}
    assert {"transform_after_extract", "transform_after_failed_extract"} <= set(sensors)
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert "cursor_events_match_api_total" in checks
    assert "pull_request_commits_match_total_count" in checks
    assert not any(c.startswith("freshness") for c in checks)  # FreshnessPolicy instead
    assert all(
        defs.resolve_asset_graph().get(k).freshness_policy is not None
        for k in defs.resolve_asset_graph().get_all_asset_keys()
        if k.path[0].startswith("raw_")
        and k.path[0] not in ("raw_git", "raw_people")
        and defs.resolve_asset_graph().get(k).is_materializable
    )


def test_resources_hide_unset_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CURSOR_ADMIN_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_ADMIN_API_KEY", "sk-ant-admin01-secret")
    from orchestration.defs.resources import build_resources

    resources = build_resources()
    assert resources["cursor"].api_key is None
    assert isinstance(resources["anthropic"].api_key, dg.EnvVar)
    assert "sk-ant-admin01-secret" not in repr(resources["anthropic"])


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_bad_git_workers_stop_the_definitions(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TOKENWORTH_GIT_WORKERS", value)
    from orchestration.defs.resources import build_resources

    with pytest.raises(ValueError) as error:
        build_resources()
    message = str(error.value)
    assert message.startswith("TOKENWORTH_GIT_WORKERS must be a positive whole number")
    assert f"got {value!r}: set it to 1 or more, or unset it for one per CPU" in message


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_http_timeout_stops_the_definitions(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TOKENWORTH_HTTP_TIMEOUT_SECONDS", value)
    from orchestration.defs.resources import build_resources

    with pytest.raises(ValueError) as error:
        build_resources()
    assert str(error.value) == (
        "TOKENWORTH_HTTP_TIMEOUT_SECONDS must be a positive number of seconds (how long one API "
        f"request may take), got {value!r}: set it to e.g. 60, or unset it for the default 60"
    )


def _set_or_unset(monkeypatch: pytest.MonkeyPatch, name: str, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(("value", "seconds"), [(" 2.5 ", 2.5), ("", 60.0), (None, 60.0)])
def test_http_timeout_setting(
    monkeypatch: pytest.MonkeyPatch, value: str | None, seconds: float
) -> None:
    _set_or_unset(monkeypatch, "TOKENWORTH_HTTP_TIMEOUT_SECONDS", value)
    from orchestration.defs.resources import build_resources

    assert build_resources()["anthropic"].timeout_seconds == seconds


@pytest.mark.parametrize(("value", "workers"), [(" 3 ", 3), ("", None), (None, None)])
def test_git_workers_setting(
    monkeypatch: pytest.MonkeyPatch, value: str | None, workers: int | None
) -> None:
    _set_or_unset(monkeypatch, "TOKENWORTH_GIT_WORKERS", value)
    from orchestration.defs.resources import build_resources

    assert build_resources()["git_durability"].workers == workers


def test_the_definitions_load_without_a_warning() -> None:
    """`dg dev` prints every warning the definitions raise while loading, once per reload:
    none of beta parameters, superseded functions or the like."""
    import warnings

    with warnings.catch_warnings():
        for category in (
            dg.BetaWarning,
            dg.PreviewWarning,
            dg.SupersessionWarning,
            dg.ConfigArgumentWarning,
        ):
            warnings.simplefilter("error", category)
        build_definitions()


def test_the_dagster_yaml_is_installed_into_a_new_dagster_home(tmp_path: Path) -> None:
    from orchestration.run import install_dagster_yaml

    install_dagster_yaml(tmp_path / "dagster")
    text = (tmp_path / "dagster" / "dagster.yaml").read_text()
    assert "default_limit: 1" in text
    # An operator's own settings are kept.
    (tmp_path / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    install_dagster_yaml(tmp_path / "dagster")
    assert (tmp_path / "dagster" / "dagster.yaml").read_text() == "telemetry:\n  enabled: true\n"


def test_the_dbt_window_rereads_every_day_a_source_reloads() -> None:
    """A night reloads each source's lookback days; the incremental usage models must rebuild at
    least those days (dbt var usage_lookback_days), or a revised day would stay stale in the
    facts. The sources' lookbacks live in the registry, the window's in dbt_project.yml."""
    from orchestration.defs.ingest.sources import SOURCES
    from orchestration.lib.project_vars import read_project_vars

    widest = max(SOURCES, key=lambda s: s.lookback_days)
    assert read_project_vars().usage_lookback_days >= widest.lookback_days, (
        f"dbt var usage_lookback_days must be at least {widest.name}'s lookback "
        f"({widest.lookback_days} days)"
    )


def test_the_library_does_not_import_the_code_location() -> None:
    """``orchestration/lib/`` is what the code location is built on (HTTP, settings, the
    warehouse, git durability): a module of it importing ``orchestration.defs`` would tie the
    library to the Dagster definitions, and an import cycle would be one edit away."""
    root = Path(__file__).resolve().parents[1]
    offending = []
    for path in sorted((root / "orchestration" / "lib").rglob("*.py")):
        package = ".".join(path.relative_to(root).parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                relative = "." * node.level + (node.module or "")
                module = importlib.util.resolve_name(relative, package)
                # ``from orchestration import defs`` names the package in the alias.
                names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            else:
                continue
            offending += [
                f"{path.name}:{node.lineno} imports {name}"
                for name in names
                if name == "orchestration.defs" or name.startswith("orchestration.defs.")
            ]
    assert not offending, offending


@pytest.mark.parametrize("value", ["lots", "4", "-1GB", "4 GB!", "50%%"])
def test_a_bad_duckdb_memory_limit_stops_the_definitions(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TOKENWORTH_DUCKDB_MEMORY_LIMIT", value)
    from orchestration.defs.resources import build_resources

    with pytest.raises(ValueError) as error:
        build_resources()
    message = str(error.value)
    assert message.startswith("TOKENWORTH_DUCKDB_MEMORY_LIMIT must be an amount of memory like")
    assert message.endswith(f"got {value!r}: unset it for DuckDB's default 80%")


@pytest.mark.parametrize(
    ("value", "limit"), [(" 3GB ", "3GB"), ("2.5GiB", "2.5GiB"), ("50%", "50%"), (None, "80%")]
)
def test_duckdb_memory_limit_setting(
    monkeypatch: pytest.MonkeyPatch, value: str | None, limit: str
) -> None:
    _set_or_unset(monkeypatch, "TOKENWORTH_DUCKDB_MEMORY_LIMIT", value)
    from orchestration.defs.resources import build_resources

    assert build_resources()["warehouse"].duckdb_memory_limit == limit


def test_the_dbt_profile_gives_duckdb_its_memory_limit(tmp_path: Path) -> None:
    """What DuckDB itself reports inside a dbt session, with the limit set and without."""
    from tests.warehouse.fixtures import dbt_runner

    dbt = dbt_runner(tmp_path / "w.duckdb", tmp_path)
    query = ("show", "--inline", "select current_setting('memory_limit') as memory_limit")
    limited = dbt(*query, env={"TOKENWORTH_DUCKDB_MEMORY_LIMIT": "1GiB"})
    assert limited.returncode == 0 and "1.0 GiB" in limited.stdout, limited.stdout[-2000:]
    import duckdb

    default = duckdb.connect().execute("select current_setting('memory_limit')").fetchone()
    unset = dbt(*query, env={"TOKENWORTH_DUCKDB_MEMORY_LIMIT": ""})
    assert unset.returncode == 0 and default and default[0] in unset.stdout, unset.stdout[-2000:]
