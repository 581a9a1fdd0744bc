"""A run killed with -9 leaves its Dagster run "started" and its warehouse-pool slot claimed;
the next `tokenworth run` must mark it failed and free the slot, or its warehouse steps would
wait for that slot forever (the pool allows one step at a time)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import dagster as dg

from orchestration.run import PROCESS_TAG, TRIGGER_TAG, fail_orphaned_runs

POOL = "warehouse"


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_run_is_marked_failed_and_its_pool_slot_freed(tmp_path: Path) -> None:
    with dg.instance_for_test(
        temp_dir=str(tmp_path), overrides={"concurrency": {"pools": {"default_limit": 1}}}
    ) as instance:
        storage = instance.event_log_storage
        assert storage.supports_global_concurrency_limits
        run = instance.create_run_for_job(
            dg.GraphDefinition(name="tokenworth_extract").to_job(),
            tags={TRIGGER_TAG: "tokenworth run", PROCESS_TAG: f"{socket.gethostname()}:1"},
        )
        instance.add_run_tags(run.run_id, {PROCESS_TAG: f"{socket.gethostname()}:{_dead_pid()}"})
        instance.run_storage.handle_run_event(
            run.run_id,
            dg.DagsterEvent(
                event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name
            ),
        )
        storage.initialize_concurrency_limit_to_default(POOL)
        claim = storage.claim_concurrency_slot(POOL, run.run_id, "raw_openai")
        assert claim.is_claimed

        assert fail_orphaned_runs(instance) == [run.run_id]

        failed = instance.get_run_by_id(run.run_id)
        assert failed is not None and failed.status == dg.DagsterRunStatus.FAILURE
        assert storage.get_concurrency_info(POOL).claimed_slots == []
        # The next run's step gets the slot at once.
        assert storage.claim_concurrency_slot(POOL, "next-run", "raw_openai").is_claimed
