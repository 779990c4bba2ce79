"""Helpers the CSV and import tests share: download the files as a reader would, import
them as a user would, and compare the record table by table."""

import csv
import io

from django.apps import apps
from django.urls import reverse

from tracker.columns import TABLES
from tracker.imports import import_tables
from tracker.models import Event, Party, Person, Process, Source

CSV_URLS = {name: reverse(f"{name}-csv") for name in TABLES}

#: Columns the record keeps for itself; a revert moves them on instead of back.
BOOKKEEPING = {"version", "updated_at", "changed_by", "changed_by_id"}


def download(client, table="events", **params):
    response = client.get(CSV_URLS[table], params)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8")


def export_all(client, **params):
    return {table: download(client, table, **params) for table in TABLES}


def rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def write_rows(header, rows_):
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows_)
    return out.getvalue()


def edit(text, change):
    """``text`` with ``change(row)`` applied to every row (a dict; return False to drop it)."""
    header = next(csv.reader(io.StringIO(text, newline="")))
    kept = [row for row in rows(text) if change(row) is not False]
    return write_rows(header, kept)


def as_files(texts):
    return {f"{name}.csv": text.encode() for name, text in texts.items()}


def import_texts(texts, **options):
    return import_tables(files=as_files(texts), **options)


def lf(text):
    """The file as an editor saving LF line ends writes it: every CRLF becomes LF."""
    return text.replace("\r\n", "\n")


def crlf(text):
    """The file as a Windows editor writes it: every LF, inside cells too, becomes CRLF."""
    return lf(text).replace("\n", "\r\n")


def empty_the_record():
    Event.objects.all().delete()
    for model in (Process, Person, Party, Source):
        model.objects.all().delete()


def record_tables(*, bookkeeping=False):
    """Every table of the record (many-to-many tables included, history and the imports'
    own tables not), row by row: what a revert must give back. A many-to-many table is
    compared by its pairs, not the numbers of its rows."""
    tables = {}
    for model in apps.get_app_config("tracker").get_models(include_auto_created=True):
        name = model._meta.object_name
        if (
            model._meta.proxy
            or name.startswith("Historical")
            or name
            in (
                "ImportBatch",
                "PendingImport",
                "RecordVersion",
            )
        ):
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if bookkeeping or f.attname not in BOOKKEEPING
        ]
        if model._meta.auto_created:  # a many-to-many table: its pairs are its content
            fields.remove("id")
        tables[model._meta.db_table] = sorted(model.objects.values_list(*fields))
    return tables


def history_counts():
    return {
        model._meta.object_name: model.objects.count()
        for model in apps.get_app_config("tracker").get_models()
        if model._meta.object_name.startswith("Historical")
    }
