"""Delivery: pipelines in the repository, sandboxed runs with live logs, executors, environments and approval
gates, deployments, incidents, traceability."""
