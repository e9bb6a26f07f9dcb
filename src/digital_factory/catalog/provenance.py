"""Provenance: the golden-path template and version a service is on. Callers own the transaction."""

from __future__ import annotations

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import models
from digital_factory.catalog.access import service_row
from digital_factory.catalog.schemas import ServiceProvenance
from digital_factory.store.uow import UnitOfWork


def set_service_template(uow: UnitOfWork, service_key: str, template: str, version: str) -> ServiceProvenance:
    """Record the template and version a service is on (onboarding, and merged template upgrades)."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    service = service_row(uow, service_key)
    row = uow.session.get(models.ServiceTemplate, service.id)
    before = {"template": row.template, "version": row.version} if row else None
    if row is None:
        row = models.ServiceTemplate(
            service_id=service.id, template=template, version=version, updated_at=uow.clock.now()
        )
        uow.session.add(row)
    elif (row.template, row.version) == (template, version):
        return ServiceProvenance.model_validate(row)
    else:
        row.template, row.version, row.updated_at = template, version, uow.clock.now()
    uow.session.flush()
    record_audit(
        uow, "service.template", "service", service.key, before=before, after={"template": template, "version": version}
    )
    return ServiceProvenance.model_validate(row)


def service_templates(uow: UnitOfWork) -> dict[str, ServiceProvenance]:
    """Every service's template and version, by service key (the template fleet)."""
    rows = uow.session.execute(
        select(models.Service.key, models.ServiceTemplate).join(
            models.ServiceTemplate, models.ServiceTemplate.service_id == models.Service.id
        )
    )
    return {key: ServiceProvenance.model_validate(row) for key, row in rows}
