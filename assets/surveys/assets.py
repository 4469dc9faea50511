"""Survey layer: responses staged per wave, scored per employee and wave."""

import dagster as dg

survey_assets: list[dg.AssetsDefinition] = []
