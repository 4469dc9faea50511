"""The demo organisation's inbox: formats, contract columns, reproducibility, planted truths."""

import codecs
import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from demo import AS_OF, DemoSummary, build_demo_organisation, write_demo_inbox
from demo import write_qualtrics_export as write_qualtrics

EMPLOYEES = 2000
CONTRACT_COLUMNS = {
    "employees": (
        "employee_id",
        "hire_date",
        "termination_date",
        "termination_type",
        "job_level",
        "department",
        "location",
        "manager_id",
        "gender",
        "ethnicity",
        "performance_rating",
    ),
    "job_events": ("employee_id", "effective_date", "event_type", "from_level", "to_level"),
    "programs": (
        "program_id",
        "program_name",
        "start_date",
        "end_date",
        "planned_milestones",
        "certificate_threshold",
    ),
    "pairings": (
        "pairing_id",
        "program_id",
        "relationship_type",
        "advisor_id",
        "participant_id",
        "start_date",
        "end_date",
        "end_reason",
    ),
    "activities": ("pairing_id", "activity_date", "activity_type", "milestone", "status", "rating"),
    "surveys": (
        "employee_id",
        "lon_companionship",
        "lon_left_out",
        "lon_isolated",
        "eng_vigor",
        "eng_dedication",
        "eng_absorption",
        "career_alone",
        "has_advocate",
        "psych_safety",
        "enps",
        "comment",
    ),
}
# relative path -> (codec for reading, delimiter, header rows)
TEXT_FILES = {
    "employees_2026-09.csv": ("utf-8-sig", ",", 1),
    "employees_2026-10.csv": ("utf-8", ",", 1),
    "pairings.tsv": ("utf-16", "\t", 1),
    "activities.txt": ("cp1252", ";", 1),
    "surveys/2024-02_engagement.csv": ("utf-8", ",", 1),
    "surveys/2025-03_pulse.csv": ("utf-8", ",", 1),
    "surveys/2026-03_pulse.csv": ("utf-8", ",", 3),
}
FUTURE = "2031-01-04"


def normalised(header: str) -> str:
    return re.sub(r"[ \-]", "_", header.strip()).lower()


def read_text(path: Path, codec: str, sep: str, header_rows: int) -> pd.DataFrame:
    frame = pd.read_csv(
        path,
        encoding=codec,
        sep=sep,
        dtype=str,
        keep_default_na=False,
        skiprows=range(1, header_rows),
    )
    return frame.rename(columns=normalised)


def read_xlsx(path: Path) -> pd.DataFrame:
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=[normalised(h) for h in rows[0]])


def read_source_file(inbox: Path, name: str) -> pd.DataFrame:
    path = inbox / name
    if name in TEXT_FILES:
        return read_text(path, *TEXT_FILES[name])
    if name.endswith(".parquet"):
        return pq.read_table(path).to_pandas()
    return read_xlsx(path)


def file_digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return write_demo_inbox(tmp_path_factory.mktemp("demo") / "inbox", employees=EMPLOYEES)


@pytest.fixture(scope="module")
def tables(demo: DemoSummary) -> dict[str, pd.DataFrame]:
    """Each file read back as text where it is text, by path relative to the inbox."""
    return {name: read_source_file(demo.inbox, name) for name in demo.row_counts}


def test_same_arguments_give_identical_bytes(demo: DemoSummary, tmp_path: Path) -> None:
    again = write_demo_inbox(tmp_path / "again", employees=EMPLOYEES)
    assert file_digests(again.inbox) == file_digests(demo.inbox)
    other_seed = write_demo_inbox(tmp_path / "other", employees=EMPLOYEES, seed=7)
    assert file_digests(other_seed.inbox) != file_digests(demo.inbox)


def test_writes_the_files_it_reports(demo: DemoSummary) -> None:
    written = set(file_digests(demo.inbox))
    assert written == set(demo.row_counts)
    assert {"employees_2026-09.csv", "employees_2026-10.csv", "programs.xlsx"} <= written
    assert sum(1 for name in written if name.startswith("surveys/")) == 3
    assert demo.as_of == AS_OF
    assert 0.9 * EMPLOYEES < demo.headcount < 1.1 * EMPLOYEES


def test_row_counts_match_the_files(demo: DemoSummary, tables: dict[str, pd.DataFrame]) -> None:
    assert {name: len(frame) for name, frame in tables.items()} == demo.row_counts


def test_every_contract_column_is_in_its_source(
    demo: DemoSummary, tables: dict[str, pd.DataFrame]
) -> None:
    for source, columns in CONTRACT_COLUMNS.items():
        for path in demo.files[source]:
            missing = set(columns) - set(tables[demo.relative(path)].columns)
            assert not missing, f"{path.name} lacks {missing}"


def test_surveys_carry_a_response_time_and_one_a_wave_column(
    demo: DemoSummary, tables: dict[str, pd.DataFrame]
) -> None:
    surveys = [tables[demo.relative(path)] for path in demo.files["surveys"]]
    assert all({"submitted_at", "recordeddate"} & set(frame.columns) for frame in surveys)
    assert sum("wave" in frame.columns for frame in surveys) == 1


def test_employee_files_keep_contact_and_unknown_columns(tables: dict[str, pd.DataFrame]) -> None:
    columns = set(tables["employees_2026-10.csv"].columns)
    assert {"name", "work_email", "phone", "cost_center"} <= columns


def test_employee_ids_keep_their_leading_zeros(tables: dict[str, pd.DataFrame]) -> None:
    ids = tables["employees_2026-10.csv"]["employee_id"]
    assert ids.iloc[0] == "000001"
    assert ids.str.fullmatch(r"\d{6}").all()
    assert tables["pairings.tsv"]["advisor_id"].str.startswith("0").any()


def test_text_files_have_their_stated_encodings(demo: DemoSummary) -> None:
    def head(name: str) -> bytes:
        return (demo.inbox / name).read_bytes()

    assert head("employees_2026-09.csv").startswith(codecs.BOM_UTF8)
    assert not head("employees_2026-10.csv").startswith(codecs.BOM_UTF8)
    assert "São Paulo" in head("employees_2026-10.csv").decode("utf-8")
    assert head("pairings.tsv").startswith(codecs.BOM_UTF16_LE)
    assert head("pairings.tsv").decode("utf-16").startswith("pairing_id\tprogram_id")
    activities = head("activities.txt")
    assert "Présentation finale" in activities.decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        activities.decode("utf-8")
    assert (
        activities.split(b"\r\n")[0]
        == b"pairing_id;activity_date;activity_type;milestone;status;rating"
    )


def test_programs_workbook_has_real_date_cells(demo: DemoSummary) -> None:
    sheet = openpyxl.load_workbook(demo.inbox / "programs.xlsx").worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 3
    assert all(row[2].is_date and row[3].is_date for row in rows)
    assert [row[5].value for row in rows].count(None) == 1  # the default threshold applies


def test_job_events_dates_are_parquet_dates(demo: DemoSummary) -> None:
    schema = pq.read_schema(demo.inbox / "job_events.parquet")
    assert str(schema.field("effective_date").type) == "date32[day]"
    assert str(schema.field("employee_id").type) == "string"


def test_qualtrics_wave_has_three_header_rows(demo: DemoSummary) -> None:
    text = (demo.inbox / "surveys/2026-03_pulse.csv").read_text("utf-8")
    tags, questions, import_ids = pd.read_csv(
        io.StringIO(text), header=None, nrows=3, dtype=str
    ).to_numpy()
    assert list(tags[:3]) == ["StartDate", "EndDate", "Status"]
    assert "I feel alone in determining my career development" in questions
    assert all("ImportId" in json.loads(cell) for cell in import_ids)
    assert json.loads(import_ids[0]) == {"ImportId": "startDate", "timeZone": "America/Denver"}


def test_qualtrics_wave_has_labels_and_unscored_rows(tables: dict[str, pd.DataFrame]) -> None:
    wave = tables["surveys/2026-03_pulse.csv"]
    assert {"Survey Preview", "Spam", "IP Address"} <= set(wave["status"])
    assert {"True", "False"} == set(wave["finished"])
    labels = set(wave["eng_vigor"]) | set(wave["lon_isolated"]) | set(wave["career_alone"])
    assert {"Some of the time", "A few times a month", "Strongly agree"} <= labels
    assert wave["recordeddate"].str.fullmatch(r"2026-03-\d\d \d\d:\d\d:\d\d").all()


def test_surveys_have_repeat_answers_partial_answers_and_tricky_comments(
    tables: dict[str, pd.DataFrame],
) -> None:
    wave = tables["surveys/2024-02_engagement.csv"]
    named = wave.loc[wave["employee_id"] != "", "employee_id"]
    assert named.duplicated().any()
    assert (wave["lon_left_out"] == "").any()
    assert "<script>alert(1)</script>" in set(wave["comment"])
    assert any("," in c and "\n" in c for c in wave["comment"])


def test_qualtrics_writer_can_write_the_utf16_tab_download(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"RecordedDate": ["2026-03-10 14:22:05"], "employee_id": ["000123"], "enps": ["9"]}
    )
    path = tmp_path / "export.tsv"
    write_qualtrics(frame, path, tsv=True)
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF16_LE)
    lines = data.decode("utf-16").splitlines()
    assert len(lines) == 4
    assert lines[0].split("\t") == ["RecordedDate", "employee_id", "enps"]
    assert "How likely are you to recommend" in lines[1]
    assert lines[3] == "2026-03-10 14:22:05\t000123\t9"


def test_more_waves_add_the_qualtrics_tab_download(tmp_path: Path) -> None:
    summary = write_demo_inbox(tmp_path / "inbox", employees=600, waves=4, bad_rows=False)
    names = [summary.relative(path) for path in summary.files["surveys"]]
    assert "surveys/2026-09_pulse.tsv" in names
    assert (tmp_path / "inbox/surveys/2026-09_pulse.tsv").read_bytes()[:2] == codecs.BOM_UTF16_LE


def test_nothing_is_dated_after_the_as_of_date_but_the_future_row(
    tables: dict[str, pd.DataFrame],
) -> None:
    as_of = AS_OF.isoformat()
    october = tables["employees_2026-10.csv"]
    dates = pd.concat([october["hire_date"], october["termination_date"]])
    assert (dates > as_of).sum() == 1
    assert (dates == FUTURE).sum() == 1
    assert october["hire_date"].max() == FUTURE
    assert october.loc[october["hire_date"] != FUTURE, "hire_date"].max() == as_of
    assert tables["job_events.parquet"]["effective_date"].max().isoformat() <= as_of
    assert tables["activities.txt"]["activity_date"].max() <= as_of
    assert tables["pairings.tsv"]["end_date"].max() <= as_of


def test_later_employee_file_adds_terminations_and_changes(
    tables: dict[str, pd.DataFrame],
) -> None:
    september = tables["employees_2026-09.csv"].set_index("employee_id")
    october = (
        tables["employees_2026-10.csv"].drop_duplicates("employee_id").set_index("employee_id")
    )
    both = september.index[~september.index.duplicated()].intersection(october.index)
    assert len(both) > 0.95 * len(september)
    changed = september.loc[both, ["termination_date", "performance_rating", "job_level"]].ne(
        october.loc[both, ["termination_date", "performance_rating", "job_level"]]
    )
    assert changed.any().all()  # each of the three columns changed for someone
    assert changed.any(axis=1).mean() < 0.1
    assert len(october.index.difference(september.index)) > 0  # October hires


def test_job_events_agree_with_the_employee_file(tables: dict[str, pd.DataFrame]) -> None:
    october = (
        tables["employees_2026-10.csv"].drop_duplicates("employee_id").set_index("employee_id")
    )
    events = tables["job_events.parquet"]
    hired = events.loc[events["event_type"] == "hire", "employee_id"]
    made_up = october.index > hired.max()
    assert october.index[~made_up].isin(hired).all()
    promotions = events.loc[events["event_type"] == "promotion"]
    assert (promotions["to_level"] > promotions["from_level"]).mean() > 0.99
    moves = events.loc[events["event_type"].isin(["hire", "promotion", "lateral", "demotion"])]
    last_level = moves.groupby("employee_id")["to_level"].last()
    shared = last_level.index.intersection(october.index)
    agree = last_level.loc[shared] == october.loc[shared, "job_level"].astype(float)
    assert (~agree).sum() <= 1  # the promotion planted as bad
    terminations = events.loc[events["event_type"] == "termination"].set_index("employee_id")
    recorded = october.loc[terminations.index, "termination_date"]
    assert (recorded == terminations["effective_date"].astype(str)).all()


def test_job_levels_and_managers_are_plausible(tables: dict[str, pd.DataFrame]) -> None:
    october = tables["employees_2026-10.csv"]
    real = october.loc[october["job_level"] != "25"]
    assert real["job_level"].astype(int).between(1, 10).all()
    assert real["job_level"].astype(int).max() == 10
    managed = october.loc[october["manager_id"] != ""]
    assert (managed["manager_id"] != managed["employee_id"]).all()
    assert managed["manager_id"].isin(october["employee_id"]).all()
    assert (october["manager_id"] == "").any()
    assert set(october["gender"]) == {"Woman", "Man", "Non-binary", ""}


def test_advisors_are_not_their_participants_but_once(
    demo: DemoSummary, tables: dict[str, pd.DataFrame]
) -> None:
    pairings = tables["pairings.tsv"]
    assert (pairings["advisor_id"] == pairings["participant_id"]).sum() == 1
    assert "advisor is the participant" in demo.bad_rows["pairings"]
    assert set(pairings["relationship_type"]) == {"mentor", "coach", "ally", "sponsor"}
    assert set(pairings["end_reason"]) == {
        "completed",
        "rematched",
        "withdrawn",
        "left_company",
        "",
    }


def test_keys_are_unique_within_each_file(tables: dict[str, pd.DataFrame]) -> None:
    events = tables["job_events.parquet"]
    assert not events.duplicated(["employee_id", "effective_date", "event_type"]).any()
    assert not tables["pairings.tsv"]["pairing_id"].duplicated().any()
    activities = tables["activities.txt"]
    key = ["pairing_id", "activity_date", "activity_type", "milestone"]
    assert not activities.duplicated(key).any()


def test_pairings_start_while_both_people_are_employed(tables: dict[str, pd.DataFrame]) -> None:
    october = tables["employees_2026-10.csv"].drop_duplicates("employee_id")
    employment = october.set_index("employee_id")[["hire_date", "termination_date"]]
    pairings = tables["pairings.tsv"]
    pairings = pairings.loc[pairings["advisor_id"].isin(employment.index)]
    for role in ("advisor_id", "participant_id"):
        dates = employment.loc[pairings[role]].to_numpy()
        start = pairings["start_date"].to_numpy()
        assert (dates[:, 0] <= start).all()
        assert ((dates[:, 1] == "") | (dates[:, 1] > start)).all()


def test_activities_fall_within_their_pairing(tables: dict[str, pd.DataFrame]) -> None:
    pairings = tables["pairings.tsv"].set_index("pairing_id")
    activities = tables["activities.txt"]
    activities = activities.loc[
        activities["pairing_id"].isin(pairings.index)
        & (activities["activity_date"] != "2024-06-31")
    ]
    window = pairings.loc[activities["pairing_id"], ["start_date", "end_date"]].to_numpy()
    end = np.where(window[:, 1] == "", AS_OF.isoformat(), window[:, 1])
    dates = activities["activity_date"].to_numpy()
    assert ((window[:, 0] <= dates) & (dates <= end)).all()
    assert {"completed", "cancelled", "late_cancelled", "no_show"} == set(activities["status"])
    assert set(activities["rating"]) == {"", "1", "2", "3", "4", "5"}


def test_advisors_are_more_senior(demo: DemoSummary) -> None:
    org = build_demo_organisation(EMPLOYEES)
    pairings = org.pairings
    level_at_start = {day: org.history.levels_on(day) for day in pairings["start_day"].unique()}
    advisor_level = np.array(
        [
            level_at_start[d][a]
            for d, a in zip(pairings["start_day"], pairings["advisor"], strict=True)
        ]
    )
    assert (advisor_level > pairings["participant_level"].to_numpy()).mean() > 0.95


def test_participants_were_selected_on_performance(tables: dict[str, pd.DataFrame]) -> None:
    october = tables["employees_2026-10.csv"]
    rated = october.loc[october["performance_rating"] != ""]
    rating = rated.set_index("employee_id")["performance_rating"].astype(float)
    participants = set(tables["pairings.tsv"]["participant_id"])
    chosen = rating.index.isin(list(participants))
    assert rating[chosen].mean() > rating[~chosen].mean() + 0.2


def test_bad_rows_are_present_and_a_small_share(demo: DemoSummary) -> None:
    counts = demo.bad_row_counts
    assert counts["programs"] == 0
    assert all(counts[source] >= 2 for source in counts if source != "programs")
    for source in demo.files:
        assert counts[source] < 0.05 * demo.source_rows(source), source
    for path in demo.files["surveys"]:
        name = demo.relative(path)
        assert 0 < len(demo.bad_rows_by_file[name]) < 0.05 * demo.row_counts[name]


def test_bad_rows_are_in_the_files(tables: dict[str, pd.DataFrame]) -> None:
    october = tables["employees_2026-10.csv"]
    assert (october["hire_date"] == "2024-02-31").sum() == 1
    assert october.duplicated().sum() == 1
    assert (october["termination_type"] == "resigned").sum() == 1
    september = tables["employees_2026-09.csv"]
    assert (september["hire_date"] == "31/02/2024").sum() == 1
    clashing = september.loc[september["employee_id"].duplicated(keep=False)]
    assert len(clashing) == 2 and not clashing.duplicated().any()
    assert (tables["surveys/2026-03_pulse.csv"]["employee_id"] == "").sum() == 1
    assert (tables["surveys/2025-03_pulse.csv"]["eng_vigor"] == "Sometimes-ish").sum() == 1


def test_without_bad_rows_every_row_is_clean(tmp_path: Path) -> None:
    summary = write_demo_inbox(tmp_path / "inbox", employees=600, bad_rows=False)
    assert sum(summary.bad_row_counts.values()) == 0
    pairings = read_source_file(summary.inbox, "pairings.tsv")
    assert (pairings["advisor_id"] != pairings["participant_id"]).all()
    october = read_source_file(summary.inbox, "employees_2026-10.csv")
    assert not october["employee_id"].duplicated().any()


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match=re.escape(str(tmp_path))):
        write_demo_inbox(tmp_path, employees=600)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_rejects_too_few_waves(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="waves"):
        write_demo_inbox(tmp_path / "inbox", employees=600, waves=2)


def test_planted_effects_show_in_the_true_history() -> None:
    """Simple differences-in-differences recover the planted survey effects, and the
    sponsorship gap exists."""
    org = build_demo_organisation(20_000)
    responses = org.responses.loc[~org.responses["superseded"]]
    loneliness = responses[["lon_companionship", "lon_left_out", "lon_isolated"]].sum(
        axis=1, min_count=3
    )
    by_wave = {
        wave: loneliness[responses["wave"] == wave].set_axis(
            responses.loc[responses["wave"] == wave, "person"]
        )
        for wave in range(3)
    }
    change = (by_wave[1] - by_wave[0]).dropna()  # mentoring ran between waves 0 and 1
    mentees = org.participants("mentor", "MEN-2024")
    program_people = np.union1d(org.pairings["advisor"], org.pairings["participant"])
    treated = change.index.isin(mentees)
    control = ~change.index.isin(program_people)
    did = change[treated].mean() - change[control].mean()
    assert did == pytest.approx(org.planted_effects["mentor"]["loneliness_did"], abs=0.2)

    employed = org.history.employed_on(org.programs[2].start_day)
    sponsored = np.isin(np.arange(len(org.people)), org.participants("sponsor"))
    share = pd.Series(sponsored[employed]).groupby(org.people["gender"].to_numpy()[employed]).mean()
    assert share["Woman"] < 0.8 * share["Man"]
