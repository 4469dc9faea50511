"""mentorlens wiring: definitions, jobs, resources, settings, the CLI and publishing."""

import os

# One BLAS thread: on 2 cores, threaded BLAS makes the Cox fits ~2.5× slower under load.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
