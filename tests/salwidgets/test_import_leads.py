"""``sal_import_leads``: a file read as it is written (its encoding, its delimiter), in one-line
errors when it cannot be; a dry run; an import run again queues nothing it already holds."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from salwidgets.models import OutboxItem

pytestmark = pytest.mark.django_db

HEADER = "email,full_name,event_id,show_id,tags\n"
ROWS = (
    "ana@example.com,Ana Peña,evt_2024_metallica,show_nyc_20240815,queue\n"
    "bo@example.com,Bo,evt_2024_metallica,show_nyc_20240815,\n"
)


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("sal_import_leads", str(path), "--type", "VIRTUAL_QUEUE", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_a_file_imported_again_queues_only_its_new_or_changed_rows(tmp_path: Path) -> None:
    path = tmp_path / "queue.csv"
    path.write_text(HEADER + ROWS)

    assert run(path)[0] == "2 VIRTUAL_QUEUE lead(s) stored for menta; 0 already held; 0 row(s) refused."
    OutboxItem.objects.filter(key__startswith="email:bo@").update(status=OutboxItem.Status.DELIVERED)
    assert run(path)[0] == "0 VIRTUAL_QUEUE lead(s) stored for menta; 2 already held; 0 row(s) refused."

    path.write_text(
        HEADER + ROWS.replace(",queue\n", ",queue;late\n") + "cy@example.com,,evt_2024_metallica,show_nyc_20240815,\n"
    )
    assert run(path)[0] == "2 VIRTUAL_QUEUE lead(s) stored for menta; 1 already held; 0 row(s) refused."
    assert OutboxItem.objects.filter(kind="lead").count() == 4


def test_the_same_row_twice_in_one_file_is_queued_once(tmp_path: Path) -> None:
    path = tmp_path / "queue.csv"
    path.write_text(HEADER + ROWS + ROWS)

    assert run(path)[0] == "2 VIRTUAL_QUEUE lead(s) stored for menta; 2 already held; 0 row(s) refused."


def test_a_dry_run_checks_and_counts_and_queues_nothing(tmp_path: Path) -> None:
    path = tmp_path / "queue.csv"
    path.write_text(HEADER + ROWS + ",,evt_2024_metallica,show_nyc_20240815,\n")

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 row"):
        call_command("sal_import_leads", str(path), "--type", "VIRTUAL_QUEUE", "--dry-run", stdout=out, stderr=err)
    assert out.getvalue().strip() == (
        "Dry run: 2 VIRTUAL_QUEUE lead(s) would be stored for menta; 0 already held; 1 row(s) refused."
    )
    assert err.getvalue().strip() == "line 4: buyer.email or buyer.phone or buyer.id is required"
    assert not OutboxItem.objects.exists()


def test_a_latin1_file_is_a_one_line_error_then_read_with_its_encoding(tmp_path: Path) -> None:
    path = tmp_path / "queue.csv"
    path.write_bytes((HEADER + ROWS).encode("latin-1"))

    with pytest.raises(CommandError) as refused:
        run(path)
    assert str(refused.value) == (
        f"{path}: not utf-8-sig text (it has the byte 0xf1); save it as UTF-8, or pass its encoding, "
        "e.g. --encoding latin-1"
    )
    assert run(path, "--encoding", "latin-1")[0].startswith("2 VIRTUAL_QUEUE lead(s) stored")
    assert OutboxItem.objects.get(key__startswith="email:ana@").payload["buyer"]["fullName"] == "Ana Peña"


def test_a_semicolon_file_says_which_delimiter_to_pass(tmp_path: Path) -> None:
    path = tmp_path / "queue.csv"
    path.write_text((HEADER + ROWS).replace(",", ";").replace(";queue", ",queue"))

    with pytest.raises(CommandError) as refused:
        run(path)
    assert str(refused.value) == (
        f"{path}: the header has no event_id, show_id column (it looks delimited by ';': pass --delimiter ';')"
    )
    assert run(path, "--delimiter", ";")[0].startswith("2 VIRTUAL_QUEUE lead(s) stored")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--encoding", "klingon"], "'klingon' is not an encoding Python knows (try utf-8, latin-1, cp1252)"),
        (["--delimiter", ";;"], "--delimiter must be one character, not ';;'"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "queue.csv"
    path.write_text(HEADER + ROWS)

    with pytest.raises(CommandError) as refused:
        run(path, *args)
    assert str(refused.value) == message


def test_a_file_that_is_not_csv_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "queue.csv"
    path.write_text(HEADER + 'ana@example.com,"Ana' + "x" * 200_000 + '",evt_1,show_1,\n')

    with pytest.raises(CommandError) as refused:
        run(path)
    assert str(refused.value).startswith(f"{path}, line ") and "not a CSV row (field larger than field limit" in str(
        refused.value
    )
