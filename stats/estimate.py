"""The result type of every effect estimate and the covariate design they share."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

Z_95 = float(norm.ppf(0.975))
MISSING_LEVEL = "(missing)"
# A column on which fewer rows than this differ from the rest describes one person: it gives that
# person a leverage of 1 (HC3 divides by zero) and carries no information about the treatment.
MIN_ROWS_OFF_MODE = 2
# A column whose part not explained by the columns before it is this small (relative to its own
# spread) is a linear combination of them.
COLLINEARITY_TOLERANCE = 1e-7
# The Gram-matrix route squares the columns, so its rounding is ~1e-8 of a column's spread
# where QR's is ~1e-16: within this factor of the tolerance a QR decides instead.
GRAM_MARGIN = 100.0
# A Schur complement below this fraction of the column's own sum of squares is rounding.
GRAM_FLOOR = 1e-18


@dataclass(frozen=True)
class Estimate:
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_treated: int
    n_control: int
    method: str
    note: str | None = None


def not_estimable(n_treated: int, n_control: int, method: str, note: str) -> Estimate:
    return Estimate(np.nan, np.nan, np.nan, np.nan, n_treated, n_control, method, note)


def method_name(covariates: Sequence[str], categorical: Sequence[str]) -> str:
    return "adjusted" if (len(covariates) or len(categorical)) else "naive"


def wald_estimate(
    coefficient: float,
    standard_error: float,
    n_treated: int,
    n_control: int,
    method: str,
    note: str | None = None,
) -> Estimate:
    """A normal-theory 95% interval and two-sided p-value for H0: coefficient = 0."""
    if not (np.isfinite(coefficient) and np.isfinite(standard_error) and standard_error > 0):
        return not_estimable(n_treated, n_control, method, note or "standard error not finite")
    half_width = Z_95 * standard_error
    p_value = float(2 * norm.sf(abs(coefficient) / standard_error))
    return Estimate(
        float(coefficient),
        float(coefficient - half_width),
        float(coefficient + half_width),
        p_value,
        n_treated,
        n_control,
        method,
        note,
    )


def zero_one_values(values: pd.Series) -> np.ndarray:
    """A 0/1 (or boolean) column as floats, missing as nan; any other value is a caller's bug."""
    numbers = pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)
    observed = numbers[~np.isnan(numbers)]
    if not np.isin(observed, (0.0, 1.0)).all():
        raise ValueError(f"column {values.name!r} must hold 0/1 values")
    return numbers


def group_sizes(treated: np.ndarray) -> tuple[int, int]:
    n_treated = int(np.sum(treated == 1))
    return n_treated, int(treated.size - n_treated)


def design_matrix(
    frame: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
) -> pd.DataFrame:
    """Treatment (first column) plus the expanded covariates, as floats, on the frame's rows.

    Columns named in `categorical` (whether or not also in `covariates`) and non-numeric columns
    are one-hot encoded against their most common level; missing values form a level of their
    own. A numeric covariate with missing values is filled with its median and gets a
    `<name>_missing` indicator. Covariate columns that are constant, describe a single person,
    or are a linear combination of other covariates are dropped, so a fit never fails on them.
    """
    frame = frame.reset_index(drop=True)  # rows are matched by position, never by label
    columns = []
    for name in _covariate_names(treatment, covariates, categorical):
        values = frame[name]
        if name in categorical or not _is_numeric(values):
            columns.append(_one_hot(values))
        else:
            columns.append(_with_missing_indicator(values))
    expanded = pd.concat(columns, axis=1) if columns else pd.DataFrame(index=frame.index)
    informative = expanded.columns[_informative(expanded)]
    kept = _linearly_independent(expanded[informative])
    return frame[[treatment]].astype(float).join(expanded[kept])


def treatment_is_identified(
    design: pd.DataFrame | np.ndarray, weights: np.ndarray | None = None
) -> bool:
    """False when the treatment (first column) is constant or determined by the covariates;
    with `weights`, each row stands for that many (e.g. a design's distinct rows)."""
    treatment_last = np.roll(np.asarray(design, dtype=float), -1, axis=1)
    return bool(_independent_columns(treatment_last, weights)[-1])


def row_groups(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the code (0, 1, …) of the rows equal to it in every column; per code, the
    first of its rows. The columns' value codes are combined in mixed radix (renumbered
    whenever the next radix would overflow): hashing each column was several times faster
    than np.unique over the rows or a pandas groupby."""
    n_rows = columns[0].size if len(columns) else 0
    key, size = np.zeros(n_rows, dtype=np.int64), 1
    for column in columns:
        # A missing value is a value of its own: with pandas' sentinel (-1) its row's key
        # would collide with another row's.
        codes, levels = pd.factorize(column, use_na_sentinel=False)
        if size * len(levels) >= 2**62:
            key, size = _dense_codes(key)
        key = key * len(levels) + codes
        size *= len(levels)
    codes, size = _dense_codes(key)
    first = np.empty(size, dtype=np.intp)
    first[codes[::-1]] = np.arange(n_rows)[::-1]  # the last write of each code is its first row
    return codes, first


def _dense_codes(key: np.ndarray) -> tuple[np.ndarray, int]:
    codes, levels = pd.factorize(key)
    return codes.astype(np.int64), len(levels)


def _covariate_names(
    treatment: str, covariates: Sequence[str], categorical: Sequence[str]
) -> list[str]:
    names = dict.fromkeys([*covariates, *categorical])
    names.pop(treatment, None)
    return list(names)


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def _one_hot(values: pd.Series) -> pd.DataFrame:
    """One column per level but the most common (ties: first by text), named `name=level`
    and in the order of their names; built from the level codes (pandas' get_dummies was a
    sixth of a subgroup fit)."""
    levels = text_levels(values)
    codes, uniques = pd.factorize(levels)
    names = [str(u) for u in uniques]
    if not names:
        return pd.DataFrame(index=levels.index)
    counts = np.bincount(codes, minlength=len(names))
    reference = min(n for n, c in zip(names, counts, strict=True) if c == counts.max())
    labels = {f"{values.name}={n}": i for i, n in enumerate(names) if n != reference}
    kept = [labels[label] for label in sorted(labels)]
    dummies = (codes[:, None] == np.asarray(kept, dtype=codes.dtype)[None, :]).astype(float)
    return pd.DataFrame(dummies, columns=sorted(labels), index=levels.index)


def text_levels(values: pd.Series, missing: str = MISSING_LEVEL) -> pd.Series:
    """The values as text categories, missing values as the level `missing`. A categorical
    column keeps its codes (only its used levels, renamed to text): converting a million
    category values to strings and back was most of the cost of a design matrix."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = values.cat.remove_unused_categories()
        levels = levels.cat.rename_categories([str(c) for c in levels.cat.categories])
        if levels.isna().any():
            if missing not in levels.cat.categories:
                levels = levels.cat.add_categories([missing])
            levels = levels.fillna(missing)
        return levels
    return values.astype("str").where(values.notna(), missing)


def _with_missing_indicator(values: pd.Series) -> pd.DataFrame:
    numbers = pd.to_numeric(values).astype(float)
    missing = numbers.isna()
    if not missing.any():
        return numbers.to_frame()
    filled = numbers.fillna(numbers.median() if not missing.all() else 0.0)
    return pd.DataFrame({values.name: filled, f"{values.name}_missing": missing.astype(float)})


def _informative(expanded: pd.DataFrame) -> np.ndarray:
    """Whether each column has at least MIN_ROWS_OFF_MODE rows off its most common value. A
    0/1 column's count comes from its sum, in one pass over the matrix (value_counts per
    column was a fifth of a design matrix); the others are counted."""
    values = expanded.to_numpy(dtype=float)
    ones = values.sum(axis=0)
    off_mode = np.minimum(ones, len(values) - ones)
    binary = ((values == 0) | (values == 1)).all(axis=0)
    for j in np.flatnonzero(~binary):
        off_mode[j] = len(values) - expanded.iloc[:, j].value_counts().iloc[0]
    return (off_mode >= MIN_ROWS_OFF_MODE) & (len(values) > 0)


def _linearly_independent(design: pd.DataFrame) -> list[str]:
    """Keep a column only if it adds a direction to the columns before it (centred).

    |R_jj| of a QR of the centred columns is the part of column j that the earlier columns
    do not explain, so the test is the greedy Gram–Schmidt one. R is taken from a Cholesky
    factorisation of the Gram matrix (one matrix product: a Householder QR of a tall model
    frame cost ten to forty times as much), skipping the columns that add nothing; where a
    column's unexplained part is close to the tolerance, where the Gram matrix's rounding
    could decide, the QR decides.

    The Gram matrix is that of the distinct rows, each counted as often as it occurs: with
    few-valued covariates there are a few thousand of them, not a cohort's million.
    """
    columns = [design[name].to_numpy(dtype=float) for name in design.columns]
    if not columns:
        return []
    codes, first = row_groups(columns)
    distinct = np.column_stack([column[first] for column in columns])
    kept = _independent_columns(distinct, np.bincount(codes).astype(float))
    return [name for name, keep in zip(design.columns, kept, strict=True) if keep]


def _independent_columns(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """`_linearly_independent` on a matrix: whether each column is kept. With `weights`, row i
    stands for weights[i] equal rows: the centred Gram matrix, the spreads and R are those of
    the rows written out (R from the QR of the centred rows times √weight)."""
    if values.size == 0:
        return np.zeros(values.shape[1], dtype=bool)
    centred = values - np.average(values, axis=0, weights=weights)
    weighted = centred if weights is None else centred * weights[:, None]
    gram = weighted.T @ centred
    spread = np.sqrt(np.diag(gram))  # the centred columns' norms, without another pass
    unexplained = _gram_r_diagonal(gram)
    ratio = np.divide(unexplained, spread, out=np.zeros_like(spread), where=spread > 0)
    ambiguous = (ratio > COLLINEARITY_TOLERANCE / GRAM_MARGIN) & (
        ratio < COLLINEARITY_TOLERANCE * GRAM_MARGIN
    )
    if ambiguous.any():
        # With more columns than rows R is wide: the columns past its diagonal add nothing.
        unexplained = np.zeros(values.shape[1])
        rooted = centred if weights is None else centred * np.sqrt(weights)[:, None]
        diagonal = np.diag(np.linalg.qr(rooted, mode="r"))
        unexplained[: diagonal.size] = diagonal
    return adds_direction(unexplained, spread)


def _gram_r_diagonal(gram: np.ndarray) -> np.ndarray:
    """|diag R| of the QR of X from XᵀX: a Cholesky factorisation in which a column that adds
    (nearly) nothing to those before it is left out of the later columns' projections."""
    size = gram.shape[0]
    factor = np.zeros((size, size))  # rows: columns of X; factor[j, :j] · factor[i, :j]
    diagonal = np.zeros(size)
    for j in range(size):
        remainder = gram[j, j] - factor[j, :j] @ factor[j, :j]
        if remainder <= GRAM_FLOOR * max(gram[j, j], np.finfo(float).tiny):
            continue  # adds nothing: R_jj = 0, and no later column projects on it
        diagonal[j] = np.sqrt(remainder)
        later = slice(j + 1, size)
        factor[later, j] = (gram[later, j] - factor[later, :j] @ factor[j, :j]) / diagonal[j]
    return diagonal


def adds_direction(r_diagonal: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Whether each column adds a direction to those before it, from the diagonal of R in a
    QR of the columns, centred or after a constant (the same in exact arithmetic): the part
    the earlier columns do not explain must exceed a tolerance relative to the column's
    spread (the norm of the centred column)."""
    unexplained = np.abs(r_diagonal)
    return (unexplained > COLLINEARITY_TOLERANCE * spread) & (unexplained > 0)
