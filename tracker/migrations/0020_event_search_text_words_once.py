from django.db import migrations

BATCH = 1000


def lean(text):
    """The stored search text as it is now derived: each word once in its line (a line is
    one part's ``text.search_key``, so this needs nothing but the stored text)."""
    return "\n".join(" ".join(dict.fromkeys(line.split())) for line in text.split("\n"))


def words_once(apps, schema_editor):
    """Rewrite the stored search texts that repeat a word within a part, one short update
    per row sent at once. Search finds the same events before and after: the words
    searched for hold no space."""
    Event = apps.get_model("tracker", "Event")
    connection = schema_editor.connection
    rows = Event._base_manager.using(connection.alias).values_list("pk", "search_text")
    changed = [(lean(text), pk) for pk, text in rows.iterator() if lean(text) != text]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Event._meta.db_table)} SET {quote('search_text')} = %s "
        f"WHERE {quote(Event._meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(changed), BATCH):
            cursor.executemany(sql, changed[start : start + BATCH])


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0019_releases"),
    ]

    operations = [
        migrations.RunPython(words_once, migrations.RunPython.noop, elidable=True),
    ]
