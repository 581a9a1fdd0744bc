"""Under the Dagster daemon the transform follows every extraction run, failed or not.

The schedule starts ``tokenworth_extract``; two run-status sensors start ``tokenworth_transform``
for the same days when it ends. A failed source must not leave the warehouse unbuilt.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs import build_definitions


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions()


@pytest.mark.parametrize(
    ("status", "sensor_name"),
    [
        (dg.DagsterRunStatus.SUCCESS, "transform_after_extract"),
        (dg.DagsterRunStatus.FAILURE, "transform_after_failed_extract"),
    ],
)
def test_the_transform_follows_the_extraction_for_the_same_days(
    defs: dg.Definitions, tmp_path: Path, status: dg.DagsterRunStatus, sensor_name: str
) -> None:
    sensor = next(s for s in defs.sensors if s.name == sensor_name)
    tags = {
        "dagster/asset_partition_range_start": "2026-11-01",
        "dagster/asset_partition_range_end": "2026-11-03",
        "unrelated": "not copied",
    }
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        run = instance.create_run_for_job(
            job_def=defs.resolve_job_def("tokenworth_extract"), tags=tags, status=status
        )
        event_type = (
            dg.DagsterEventType.RUN_SUCCESS
            if status == dg.DagsterRunStatus.SUCCESS
            else dg.DagsterEventType.RUN_FAILURE
        )
        event = dg.DagsterEvent(event_type_value=event_type.value, job_name="tokenworth_extract")
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor_name,
            dagster_instance=instance,
            dagster_run=run,
            dagster_event=event,
        )
        if status == dg.DagsterRunStatus.FAILURE:
            context = context.for_run_failure()
        request = sensor(context)
    assert isinstance(request, dg.RunRequest)
    assert request.job_name in (None, "tokenworth_transform")
    assert request.tags == {
        "dagster/asset_partition_range_start": "2026-11-01",
        "dagster/asset_partition_range_end": "2026-11-03",
        "tokenworth/after_run": run.run_id,
    }
    # One transform per extraction, however often the sensor looks.
    assert request.run_key == f"transform-after-{run.run_id}"
    assert sensor.job_name == "tokenworth_transform" or {t.job_name for t in sensor.targets} == {
        "tokenworth_transform"
    }
