"""Effects layer: program outcomes and effect estimates."""

import dagster as dg

effects_assets: list[dg.AssetsDefinition] = []
