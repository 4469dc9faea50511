"""The built-in demo organisation: a reproducible inbox with planted effects and bad rows."""

from demo.calendar import AS_OF, HISTORY_START
from demo.inbox import DemoSummary, write_demo_inbox
from demo.organisation import DemoOrganisation, build_demo_organisation
from demo.programs import PLANTED_EFFECTS, PROGRAMS, PlantedEffect
from demo.survey_layouts import write_qualtrics_export
from demo.surveys import WAVES

__all__ = [
    "AS_OF",
    "HISTORY_START",
    "PLANTED_EFFECTS",
    "PROGRAMS",
    "WAVES",
    "DemoOrganisation",
    "DemoSummary",
    "PlantedEffect",
    "build_demo_organisation",
    "write_demo_inbox",
    "write_qualtrics_export",
]
