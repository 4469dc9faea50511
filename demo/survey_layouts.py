"""How survey tools lay responses out: plain exports and the Qualtrics three-header export."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from demo.calendar import iso_timestamps
from demo.exports import contact_columns
from demo.surveys import ITEM_CODES, Wave
from demo.writers import write_delimited

UCLA_LABELS = ("Hardly ever", "Some of the time", "Often")
UWES_LABELS = ("Never", "Almost never", "Rarely", "Sometimes", "Often", "Very often", "Always")
UWES_FREQUENCY_LABELS = (
    "Never",
    "A few times a year or less",
    "Once a month or less",
    "A few times a month",
    "Once a week",
    "A few times a week",
    "Every day",
)
AGREEMENT_LABELS = (
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
)
# item code -> (labels, value of the first label); eNPS is exported as a number
ITEM_LABELS: dict[str, tuple[tuple[str, ...], int]] = {
    **dict.fromkeys(("lon_companionship", "lon_left_out", "lon_isolated"), (UCLA_LABELS, 1)),
    **dict.fromkeys(("eng_vigor", "eng_dedication", "eng_absorption"), (UWES_LABELS, 0)),
    **dict.fromkeys(("career_alone", "has_advocate", "psych_safety"), (AGREEMENT_LABELS, 1)),
}
QUESTIONS: dict[str, str] = {
    "lon_companionship": "How often do you feel that you lack companionship?",
    "lon_left_out": "How often do you feel left out?",
    "lon_isolated": "How often do you feel isolated from others?",
    "eng_vigor": "At my work, I feel bursting with energy",
    "eng_dedication": "I am enthusiastic about my job",
    "eng_absorption": "I am immersed in my work",
    "career_alone": "I feel alone in determining my career development",
    "has_advocate": "Someone senior actively advocates for my career",
    "psych_safety": "I can speak up here without fear of embarrassment or punishment",
    "enps": "How likely are you to recommend this company as a place to work?",
    "comment": "Anything else you want to tell us?",
}
ITEM_IMPORT_IDS: dict[str, str] = {
    "lon_companionship": "QID1_1",
    "lon_left_out": "QID1_2",
    "lon_isolated": "QID1_3",
    "eng_vigor": "QID2_1",
    "eng_dedication": "QID2_2",
    "eng_absorption": "QID2_3",
    "career_alone": "QID3_1",
    "has_advocate": "QID3_2",
    "psych_safety": "QID3_3",
    "enps": "QID4",
    "comment": "QID5_TEXT",
}
# export tag -> (question text row, ImportId row)
QUALTRICS_METADATA: dict[str, tuple[str, str]] = {
    "StartDate": ("Start Date", '{"ImportId":"startDate","timeZone":"America/Denver"}'),
    "EndDate": ("End Date", '{"ImportId":"endDate","timeZone":"America/Denver"}'),
    "Status": ("Response Type", '{"ImportId":"status"}'),
    "Progress": ("Progress", '{"ImportId":"progress"}'),
    "Duration (in seconds)": ("Duration (in seconds)", '{"ImportId":"duration"}'),
    "Finished": ("Finished", '{"ImportId":"finished"}'),
    "RecordedDate": ("Recorded Date", '{"ImportId":"recordedDate","timeZone":"America/Denver"}'),
    "ResponseId": ("Response ID", '{"ImportId":"_recordId"}'),
    "RecipientLastName": ("Recipient Last Name", '{"ImportId":"recipientLastName"}'),
    "RecipientFirstName": ("Recipient First Name", '{"ImportId":"recipientFirstName"}'),
    "RecipientEmail": ("Recipient Email", '{"ImportId":"recipientEmail"}'),
    "ExternalReference": ("External Data Reference", '{"ImportId":"externalDataReference"}'),
    "DistributionChannel": ("Distribution Channel", '{"ImportId":"distributionChannel"}'),
    "UserLanguage": ("User Language", '{"ImportId":"userLanguage"}'),
    "employee_id": ("employee_id", '{"ImportId":"employee_id"}'),
}
UNKNOWN_LABEL = "Sometimes-ish"
LOWERCASE_LABEL_SHARE = 0.02
FREQUENCY_FORM_SHARE = 0.3  # Qualtrics respondents who saw the manual's frequency wording
UNFINISHED_SHARE = 0.003
PREVIEWS, SPAM = 3, 2


@dataclass(frozen=True)
class SurveyFile:
    frame: pd.DataFrame
    encoding: str
    sep: str
    header_rows: tuple[tuple[str, ...], ...] = ()

    def write(self, path: Path) -> None:
        write_delimited(
            self.frame,
            path,
            encoding=self.encoding,
            sep=self.sep,
            extra_header_rows=self.header_rows,
        )


def numbers(values: pd.Series) -> np.ndarray:
    text = values.astype("str").to_numpy(dtype=object)
    return np.where(values.isna().to_numpy(), "", text)


def labels(values: pd.Series, scale: tuple[str, ...], first: int) -> np.ndarray:
    table = np.array([*scale, ""], dtype=object)
    position = values.fillna(first + len(scale)).to_numpy(dtype=np.int64) - first
    return table[position]


def answer_texts(
    rng: np.random.Generator, responses: pd.DataFrame, as_labels: bool, frequency_form: np.ndarray
) -> pd.DataFrame:
    """Answers as numbers, or as labels (a few lower-cased); rows marked `unknown_label` get a
    label no scale has."""
    answers = {}
    for code in ITEM_CODES:
        values = responses[code]
        if not as_labels or code not in ITEM_LABELS:
            answers[code] = numbers(values)
            continue
        scale, first = ITEM_LABELS[code]
        text = labels(values, scale, first)
        if scale is UWES_LABELS:
            text = np.where(frequency_form, labels(values, UWES_FREQUENCY_LABELS, first), text)
        lowered = rng.random(text.size) < LOWERCASE_LABEL_SHARE
        text[lowered] = pd.Series(text[lowered], dtype="str").str.lower().to_numpy(dtype=object)
        answers[code] = text
    frame = pd.DataFrame(answers)
    frame.loc[responses["unknown_label"].to_numpy(), "eng_vigor"] = UNKNOWN_LABEL
    return frame


def plain_survey(
    rng: np.random.Generator, responses: pd.DataFrame, ids: np.ndarray, wave: Wave
) -> SurveyFile:
    separator = " " if wave.layout == "plain_with_wave" else "T"
    leading = {
        "employee_id": ids,
        "submitted_at": iso_timestamps(responses["time"].to_numpy(), separator),
    }
    if wave.layout == "plain_with_wave":
        leading = {"wave": wave.name.replace("_", " "), **leading}
    no_frequency_form = np.zeros(len(responses), dtype=bool)
    answers = answer_texts(rng, responses, wave.layout == "plain_labels", no_frequency_form)
    frame = pd.concat(
        [pd.DataFrame(leading), answers, responses[["comment"]].reset_index(drop=True)], axis=1
    )
    return SurveyFile(frame.astype("str"), "utf-8", ",")


def response_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    characters = np.ascontiguousarray(alphabet[rng.integers(0, alphabet.size, (n, 15))])
    return np.char.add("R_", characters.view("<U15").ravel()).astype(object)


def with_previews_and_spam(rng: np.random.Generator, responses: pd.DataFrame) -> pd.DataFrame:
    """Test runs by the survey owner and responses flagged as spam (not scored)."""
    genuine = np.flatnonzero(
        (responses["employee_id"] != "").to_numpy() & (responses["bad_reason"] == "").to_numpy()
    )
    extra = responses.iloc[rng.choice(genuine, PREVIEWS + SPAM, replace=False)]
    status = ["Survey Preview"] * PREVIEWS + ["Spam"] * SPAM
    extra = extra.assign(status=status, unknown_label=False, bad_reason="")
    together = pd.concat([responses.assign(status="IP Address"), extra], ignore_index=True)
    return together.sort_values("time", kind="stable", ignore_index=True)


def unfinished_rows(rng: np.random.Generator, responses: pd.DataFrame) -> np.ndarray:
    """Half the superseded answers and a few others were abandoned part-way."""
    superseded = responses["superseded"].to_numpy()
    return np.where(superseded, rng.random(superseded.size) < 0.5, False) | (
        rng.random(superseded.size) < UNFINISHED_SHARE
    )


def qualtrics_survey(
    rng: np.random.Generator, responses: pd.DataFrame, ids: np.ndarray, wave: Wave
) -> SurveyFile:
    responses = with_previews_and_spam(rng, responses.assign(employee_id=ids))
    n = len(responses)
    ids = responses["employee_id"].to_numpy(dtype=object)
    known = ids != ""
    unfinished = (
        unfinished_rows(rng, responses)
        & (responses["status"] == "IP Address").to_numpy()
        & (responses["bad_reason"] == "").to_numpy()
    )
    progress = np.where(unfinished, rng.integers(15, 85, n), 100)
    frequency_form = rng.random(n) < FREQUENCY_FORM_SHARE
    answers = answer_texts(rng, responses, True, frequency_form)
    answers["comment"] = responses["comment"].to_numpy(dtype=object)
    # An abandoned response keeps only the answers given before the respondent stopped.
    answered = np.floor(progress / 100 * answers.shape[1]).astype(np.int64)
    answers = answers.mask(np.arange(answers.shape[1])[None, :] >= answered[:, None], "")
    end = responses["time"].to_numpy()
    duration = rng.integers(90, 900, n)
    tsv = wave.layout == "qualtrics_tsv"
    channel = responses["status"].map(
        {"IP Address": "email", "Survey Preview": "preview", "Spam": "anonymous"}
    )
    metadata = pd.DataFrame(
        {
            "StartDate": iso_timestamps(end - duration / 86_400, " "),
            "EndDate": iso_timestamps(end, " "),
            "Status": responses["status"].to_numpy(dtype=object),
            "Progress": progress.astype(str),
            "Duration (in seconds)": duration.astype(str),
            "Finished": np.where(unfinished, "0" if tsv else "False", "1" if tsv else "True"),
            "RecordedDate": iso_timestamps(end, " "),
            "ResponseId": response_ids(rng, n),
            "RecipientLastName": ids,
            "RecipientFirstName": np.where(known, "Person", ""),
            "RecipientEmail": np.where(known, contact_columns(ids)["Work Email"], ""),
            "ExternalReference": ids,
            "DistributionChannel": channel.to_numpy(dtype=object),
            "UserLanguage": np.where(frequency_form, "EN-GB", "EN"),
            "employee_id": ids,
        }
    )
    frame = pd.concat([metadata, answers], axis=1).astype("str")
    encoding, sep = ("utf-16", "\t") if tsv else ("utf-8", ",")
    return SurveyFile(frame, encoding, sep, qualtrics_header_rows(frame.columns))


def qualtrics_header_rows(columns: pd.Index) -> tuple[tuple[str, ...], ...]:
    """Rows 2 and 3 of a Qualtrics export: question texts and ImportId JSON per column."""
    questions, import_ids = [], []
    for column in columns:
        if column in QUALTRICS_METADATA:
            question, import_id = QUALTRICS_METADATA[column]
        else:
            question = QUESTIONS.get(column, column)
            import_id = '{"ImportId":"' + ITEM_IMPORT_IDS.get(column, column) + '"}'
        questions.append(question)
        import_ids.append(import_id)
    return tuple(questions), tuple(import_ids)


def write_qualtrics_export(frame: pd.DataFrame, path: Path, *, tsv: bool = False) -> None:
    """Write responses (columns named by Qualtrics export tags and item codes) as a Qualtrics
    export: UTF-8 CSV, or with `tsv` the UTF-16 tab-separated download."""
    encoding, sep = ("utf-16", "\t") if tsv else ("utf-8", ",")
    SurveyFile(frame, encoding, sep, qualtrics_header_rows(frame.columns)).write(path)


def survey_file(
    rng: np.random.Generator, responses: pd.DataFrame, ids: np.ndarray, wave: Wave
) -> SurveyFile:
    if wave.is_qualtrics:
        return qualtrics_survey(rng, responses, ids, wave)
    return plain_survey(rng, responses, ids, wave)
