"""Delivery's face: pipeline runs, the push handoff, deployments, incidents, secrets and what executes steps.

Edges import only this module, `schemas` and `events`; the topic modules behind it are private."""

from __future__ import annotations

from digital_factory.delivery.config import DeliveryConfig
from digital_factory.delivery.deployments import (
    approve,
    get_deployment,
    get_environment_policy,
    list_deployments,
    reject,
    rollback,
    service_delivery,
    set_environment_policy,
    trace_item,
)
from digital_factory.delivery.dora_facts import dora_facts
from digital_factory.delivery.egress_policy import get_egress_policy, set_egress_policy
from digital_factory.delivery.executors import Executor, LocalExecutor
from digital_factory.delivery.handoff import reap_pushes, start_for_push
from digital_factory.delivery.incidents import get_incident, list_incidents, open_incident, resolve_incident
from digital_factory.delivery.latest import (
    deployed_environments,
    latest_delivery,
    recent_incidents,
    recent_run_statuses,
)
from digital_factory.delivery.outside import record_change, record_deployment, record_incident, record_run
from digital_factory.delivery.pipeline_file import PIPELINE_SCHEMA
from digital_factory.delivery.pipeline_file import lint as lint_pipeline_text
from digital_factory.delivery.protections import protections
from digital_factory.delivery.runner import StepRunner, default_worker_id, reap
from digital_factory.delivery.runs import (
    LOG_PAGE_CHUNKS,
    PreparedRun,
    cancel_run,
    environment_problems,
    get_run,
    lint,
    list_runs,
    prepare,
    retry_step,
    run_row,
    start_rollback,
    start_run,
    start_run_for_push,
    step_log,
)
from digital_factory.delivery.sandbox import Limits, SandboxConfig
from digital_factory.delivery.secrets import SecretBox, delete_secret, list_secrets, set_secret
from digital_factory.delivery.work_delivery import item_deliveries

__all__ = [
    "LOG_PAGE_CHUNKS",
    "PIPELINE_SCHEMA",
    "DeliveryConfig",
    "Executor",
    "Limits",
    "LocalExecutor",
    "PreparedRun",
    "SandboxConfig",
    "SecretBox",
    "StepRunner",
    "approve",
    "cancel_run",
    "default_worker_id",
    "delete_secret",
    "deployed_environments",
    "dora_facts",
    "environment_problems",
    "get_deployment",
    "get_egress_policy",
    "get_environment_policy",
    "get_incident",
    "get_run",
    "item_deliveries",
    "latest_delivery",
    "lint",
    "lint_pipeline_text",
    "list_deployments",
    "list_incidents",
    "list_runs",
    "list_secrets",
    "open_incident",
    "prepare",
    "protections",
    "reap",
    "reap_pushes",
    "recent_incidents",
    "recent_run_statuses",
    "record_change",
    "record_deployment",
    "record_incident",
    "record_run",
    "reject",
    "resolve_incident",
    "retry_step",
    "rollback",
    "run_row",
    "service_delivery",
    "set_egress_policy",
    "set_environment_policy",
    "set_secret",
    "start_for_push",
    "start_rollback",
    "start_run",
    "start_run_for_push",
    "step_log",
    "trace_item",
]
