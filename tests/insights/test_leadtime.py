"""Value lead time and the value stream map, worked out by hand for one epic with two features.

The epic is made Ready on day 0 (funnel, reviewing, analyzing passed at once) and enters Implementing
(approved) on day 2. Features F1 and F2 are made on day 1 and start on day 3:
F1 active d3, done d8; its flag is turned on in production on day 9 (staging on day 5 does not count);
   a change naming it reaches production on day 12 -> exposed by the flag on day 9: lead time 7 d.
F2 active d3, waiting d4, active d5, done d6 (its story: active d3.5, waiting d4, done d5.5); a change
   naming it (authored d4) is deployed to production
   d6 00:00-01:00 -> exposed by the deployment at d6 01:00: lead time 4 d 1 h.
Epic: to first exposure 4 d 1 h, to all 7 d.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from digital_factory.app.factory import Runtime
from digital_factory.core.errors import ValidationFailed
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import ExposedBy, ValueStreamMap
from tests.insights.flow_builders import Script, day
from tests.insights.leadtime_builders import epic_with_two_features
from tests.portfolio.builders import ready_epic

DAYS = 86400.0
HOURS = 3600.0
SERVICE = "rotor"


def test_value_lead_time_by_flag_and_by_deployment(runtime: Runtime) -> None:
    s, epic, f1, f2 = epic_with_two_features(runtime)
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        found = insights.value_lead_time(uow, epic=epic.lower())
    (lead,) = found.epics
    assert lead.approved_at == day(2)
    by_feature = {f.feature: (f.exposed_at, f.exposed_by, f.via, f.lead_time_seconds) for f in lead.features}
    assert by_feature == {
        f1: (day(9), ExposedBy.FLAG, "rotor/cargo-bay", 7 * DAYS),
        f2: (day(6) + timedelta(hours=1), ExposedBy.DEPLOYMENT, "rotor@" + "a" * 12, 4 * DAYS + HOURS),
    }
    assert (lead.to_first_seconds, lead.to_all_seconds) == (4 * DAYS + HOURS, 7 * DAYS)
    assert (found.to_first_median_seconds, found.to_first_sample) == (4 * DAYS + HOURS, 1)
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        by_stream = insights.value_lead_time(uow, value_stream="cargo")
    assert by_stream.epics == found.epics


def test_the_value_stream_map_splits_waiting_from_active_and_marks_the_slowest(runtime: Runtime) -> None:
    s, epic, _, _ = epic_with_two_features(runtime)
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        by_epic = insights.value_stream_map(uow, epic=epic)
        by_stream = insights.value_stream_map(uow, value_stream="cargo")
    assert by_stream.stages == by_epic.stages
    stages = {
        st.key: (st.waiting_median_seconds, st.active_median_seconds, st.total_median_seconds, st.sample)
        for st in by_epic.stages
    }
    assert stages == {
        "funnel": (0.0, 0.0, 0.0, 1),
        "reviewing": (0.0, 0.0, 0.0, 1),
        "analyzing": (0.0, 0.0, 0.0, 1),
        "ready": (2 * DAYS, 0.0, 2 * DAYS, 1),
        "feature-backlog": (2 * DAYS, 0.0, 2 * DAYS, 2),
        # F1: 0 waiting, 5 d active; F2: 1 d waiting, 2 d active
        "feature-development": (0.5 * DAYS, 3.5 * DAYS, 4 * DAYS, 2),
        "story-development": (1.5 * DAYS, 0.5 * DAYS, 2 * DAYS, 1),  # active d3.5, waiting d4, done d5.5
        # a: authored d4, requested d6; b: authored d7, requested d12
        "build": (0.0, 3.5 * DAYS, 3.5 * DAYS, 2),
        "approval": (0.0, 0.0, 0.0, 2),
        "deploy": (0.0, 1.5 * HOURS, 1.5 * HOURS, 2),
    }
    assert [st.key for st in by_epic.stages if st.slowest] == ["feature-development"]


def test_an_epic_with_nothing_yet_has_empty_stages(runtime: Runtime) -> None:
    s = Script(runtime)
    epic = ready_epic(runtime, s.board, "Quiet").key
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        vsm: ValueStreamMap = insights.value_stream_map(uow, epic=epic)
        lead = insights.value_lead_time(uow, epic=epic)
    development = next(st for st in vsm.stages if st.key == "feature-development")
    assert (development.total_median_seconds, development.sample) == (None, 0)
    assert (lead.epics[0].approved_at, lead.epics[0].to_first_seconds, lead.to_first_sample) == (None, None, 0)
    with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(s.reader(), write=False) as uow:
        insights.value_stream_map(uow)
    assert refused.value.problems[0].field == "epic"
