"""Portfolio and product management: strategic themes, epics on the portfolio kanban ranked by WSJF, epic
hypotheses with leading indicators, features and stories handed to teams as ordered backlogs.

Public: `schemas`, `service`, `events`. Pure rules: `kanban`, `wsjf`, `importing`; the indicator language
is `core.metricquery`."""
