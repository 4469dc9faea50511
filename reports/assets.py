"""Reports layer: the HTML pages for HR, built beside the published folder."""

import dagster as dg

report_assets: list[dg.AssetsDefinition] = []
