from django.db import migrations

BATCH = 1000


def lean(text):
    """The stored search text as ``text.search_text`` now writes it: each word once in its
    line (a line is one part's search key, so this needs nothing but the stored text)."""
    return "\n".join(" ".join(dict.fromkeys(line.split())) for line in text.split("\n"))


def words_once(apps, schema_editor):
    """Rewrite the stored search texts that repeat a word within a part. Search finds the
    same events before and after: the words searched for hold no space."""
    Event = apps.get_model("tracker", "Event")
    manager = Event._base_manager.using(schema_editor.connection.alias)
    changed = []
    for pk, text in manager.order_by("pk").values_list("pk", "search_text").iterator():
        new = lean(text)
        if new != text:
            changed.append(Event(pk=pk, search_text=new))
    for start in range(0, len(changed), BATCH):
        manager.bulk_update(changed[start : start + BATCH], ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0019_releases"),
    ]

    operations = [
        migrations.RunPython(words_once, migrations.RunPython.noop, elidable=True),
    ]
