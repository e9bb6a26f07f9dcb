"""An import-linter contract type: a domain is reached only through its face.

A domain's face is its package, `service`, `schemas` and `events` (DESIGN §4). Every other module of a
domain (topic modules, `models`, `queries`, pure logic) is private to it: importing one from outside the
domain breaks the contract, except from the modules named in `allowed_importers` (the composition root
and the migrations)."""

from __future__ import annotations

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output

FACE = ("service", "schemas", "events")


class FacesContract(Contract):
    type_name = "faces"

    domains = fields.ListField(subfield=fields.StringField())
    allowed_importers = fields.ListField(subfield=fields.StringField(), required=False)
    # "importer -> imported" pairs tolerated while a domain is being moved behind its face
    ignore_imports = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        allowed = [str(name) for name in (self.allowed_importers or [])]  # type: ignore[union-attr]
        ignored = {str(pair).replace(" ", "") for pair in (self.ignore_imports or [])}  # type: ignore[union-attr]
        illegal: list[dict[str, object]] = []
        for domain in [str(name) for name in self.domains]:  # type: ignore[attr-defined]
            public = {domain, *(f"{domain}.{part}" for part in FACE)}
            for module in sorted(graph.find_descendants(domain)):
                if module in public:
                    continue
                for importer in sorted(graph.find_modules_that_directly_import(module)):
                    if _inside(importer, domain) or any(_inside(importer, root) for root in allowed):
                        continue
                    if f"{importer}->{module}" in ignored:
                        continue
                    details = graph.get_import_details(importer=importer, imported=module)
                    lines = sorted({int(str(d["line_number"])) for d in details})
                    illegal.append({"importer": importer, "imported": module, "lines": lines})
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["illegal"]:
            lines = ", ".join(f"l.{line}" for line in item["lines"])
            output.print_error(f"{item['importer']} -> {item['imported']} ({lines}): import its face instead")
            output.new_line()


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")
