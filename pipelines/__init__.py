"""mentorlens wiring: definitions, jobs, resources, settings, the CLI and publishing."""

import os
import warnings

# One BLAS thread: on 2 cores, threaded BLAS makes the Cox fits ~2.5× slower under load.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The single-run backfill policy of the survey wave partitions is what makes `mentorlens run`
# one run over every wave; Dagster marks the parameter beta and warns on every import.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` of function `asset`")
