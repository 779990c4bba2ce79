from django.db import migrations, models

import tracker.models.validators


class Migration(migrations.Migration):
    """The place of an approximate event in its period, and the two fields an event
    derives: its sort date and its search text (filled by 0014, required by 0015)."""

    dependencies = [
        ("tracker", "0012_conflicts_from_process_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="period_position",
            field=models.CharField(
                choices=[
                    ("early", "early in the month or year"),
                    ("middle", "in the middle of the month or year"),
                    ("late", "late in the month or year"),
                ],
                default="middle",
                help_text=(
                    "For a date known only to the month or year: whether the event came "
                    "early, in the middle or late in it, so that lists, previous/next and "
                    "charts place it among dated events (e.g. “late” puts “November 2016” "
                    "after 24 November). Ignored for an exact day."
                ),
                max_length=10,
                verbose_name="place in its month or year",
            ),
        ),
        migrations.AddField(
            model_name="historicalevent",
            name="period_position",
            field=models.CharField(
                choices=[
                    ("early", "early in the month or year"),
                    ("middle", "in the middle of the month or year"),
                    ("late", "late in the month or year"),
                ],
                default="middle",
                help_text=(
                    "For a date known only to the month or year: whether the event came "
                    "early, in the middle or late in it, so that lists, previous/next and "
                    "charts place it among dated events (e.g. “late” puts “November 2016” "
                    "after 24 November). Ignored for an exact day."
                ),
                max_length=10,
                verbose_name="place in its month or year",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="sort_date",
            field=models.DateField(
                editable=False,
                null=True,
                validators=[tracker.models.validators.validate_shown_date],
                verbose_name="sort date",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="search_text",
            field=models.TextField(
                blank=True,
                default="",
                editable=False,
                help_text=(
                    "Derived: title, summary, place and participants' names and titles, "
                    "case-folded and without accents."
                ),
                verbose_name="search text",
            ),
        ),
    ]
