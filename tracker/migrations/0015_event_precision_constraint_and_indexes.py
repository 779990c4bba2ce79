from django.db import migrations, models

import tracker.models.validators

TRIGRAM_INDEX = "tracker_event_search_trgm"


def trigram_index(apps, schema_editor):
    """On PostgreSQL only: a trigram index on the search text, so that substring search
    (``LIKE '%word%'``) need not read every row. Results and order do not change."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON tracker_event "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0014_event_precision_rule_and_derived_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="sort_date",
            field=models.DateField(
                db_index=True,
                editable=False,
                help_text="Derived from the date, its precision and its place in its period.",
                validators=[tracker.models.validators.validate_shown_date],
                verbose_name="sort date",
            ),
        ),
        migrations.AlterModelOptions(
            name="event",
            options={
                "ordering": [
                    "sort_date",
                    models.OrderBy(models.F("start_time"), nulls_first=True),
                    "start_date",
                    "pk",
                ],
                "permissions": [("publish_event", "Can publish and unpublish events")],
                "verbose_name": "event",
                "verbose_name_plural": "events",
            },
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["status", "sort_date"], name="tracker_eve_status_sort_idx"),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(("date_precision", "day"))
                | models.Q(("date_precision", "month"), ("start_date__day", 1))
                | models.Q(
                    ("date_precision", "year"), ("start_date__day", 1), ("start_date__month", 1)
                ),
                name="event_approximate_date_starts_its_period",
                violation_error_message=(
                    "A date known only to the month is entered as the 1st of that month "
                    "(e.g. 2016-11-01 for November 2016), and one known only to the year as "
                    "1 January of that year."
                ),
            ),
        ),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
