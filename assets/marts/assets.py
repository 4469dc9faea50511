"""Marts layer: the analyst tables of OUTPUTS.md."""

import dagster as dg

marts_assets: list[dg.AssetsDefinition] = []
