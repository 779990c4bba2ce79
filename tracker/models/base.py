"""What every curated record shares, and the bookkeeping rules every write path calls.

Three rules live here, once each:

- a changed record's ``version`` moves on, with who changed it and when, and a history
  row says why (:meth:`Record.mark_changed` before saving one instance,
  :meth:`RecordQuerySet.record_change` for rows changed in bulk or through their parts);
- the record-wide :class:`RecordVersion` moves on with every write, so that caches and
  API validators built on it are never stale; its shared number moves on with every
  write that is not confined to events and their parts, so that an event's page can be
  keyed on it and on the versions of the events it shows;
- an event's first publication is stamped once (:meth:`Event.publish`);
- what a record derives from its rows (an event's sort date and search text, which
  follow a person's or party's rename) is refreshed by :meth:`Record.after_change`,
  called by every write path;
- a record whose slug changes keeps its old address (:class:`SlugHistory`).
"""

from django.conf import settings
from django.db import connection, models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: How long a write waits for another write (an import, say) before giving up, in seconds.
WRITE_WAIT = 5


class RecordVersion(models.Model):
    """The version of the whole record: one row, moved on by every write path.

    Public caches key their pages on it and the API derives its validators from it, so a
    write is visible at the next request on every worker and every app server.

    ``shared`` moves on with every write except those confined to events and their parts
    (models that say ``kept_by_event_versions``: a write to them moves the version of
    every event it touches). An event's page shows its own event, a few others and
    records every event shares (processes, people, parties, sources); it is keyed on
    ``shared`` and on those events' versions, so that saving one event leaves the other
    events' pages cached (``tracker.page_cache``).
    """

    number = models.BigIntegerField(_("number"), default=0)
    shared = models.BigIntegerField(
        _("shared number"),
        default=0,
        help_text=_("Moves with every write except those confined to events and their parts."),
    )
    changed_at = models.DateTimeField(_("last changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("record version")
        verbose_name_plural = _("record versions")

    def __str__(self):
        return str(self.number)

    @classmethod
    def bump(cls, *written):
        """Move the record-wide version on (inside the caller's transaction).

        ``written``: the models the write changed. The shared number moves too unless
        every one of them is kept by the events' own versions; a caller that does not say
        (no models) moves both.
        """
        now = timezone.now()
        moves = {"number": F("number") + 1, "changed_at": now}
        shared = not written or not all(
            getattr(model, "kept_by_event_versions", False) for model in written
        )
        if shared:
            moves["shared"] = F("shared") + 1
        if not cls.objects.filter(pk=1).update(**moves):
            cls.objects.get_or_create(pk=1, defaults={"number": 1, "shared": 1, "changed_at": now})

    @classmethod
    def queue_write(cls, *, wait=WRITE_WAIT):
        """Queue this transaction behind any other write to the record; every write path
        calls it first, inside its transaction.

        On PostgreSQL the record-wide version row is locked first: every write moves it
        on, so writes queue at the same place, and a write that touches several records
        cannot deadlock with another; waiting stops after ``wait`` seconds with an
        ``OperationalError``. SQLite's immediate transactions already queue writers, with
        the same wait (the connection's ``timeout``, see ``settings.sqlite_options``).
        """
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{int(wait)}s'")
        # Before the very first write there is no row to lock; that write creates it.
        cls.objects.select_for_update().filter(pk=1).first()

    @classmethod
    def current(cls):
        """``(number, changed_at)`` of the record as it stands."""
        row = cls.objects.filter(pk=1).values_list("number", "changed_at").first()
        return row or (0, None)

    @classmethod
    def current_with_shared(cls):
        """``(number, changed_at, shared)`` of the record as it stands, in one query."""
        row = cls.objects.filter(pk=1).values_list("number", "changed_at", "shared").first()
        return row or (0, None, 0)

    @classmethod
    def current_shared(cls):
        """The shared number as it stands (see the class's docstring)."""
        row = cls.objects.filter(pk=1).values_list("shared", flat=True).first()
        return row or 0


class SlugHistory(models.Model):
    """An address a record had: its old slug, so that links to it keep working (a
    permanent redirect to the record's page while the record is public).

    Written by :meth:`Record.stamp_change`, the one place every write path goes through.
    """

    model = models.CharField(_("kind of record"), max_length=50)
    old_slug = models.SlugField(_("old slug"), max_length=100)
    record_id = models.PositiveBigIntegerField(_("record"))
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["model", "old_slug"]
        verbose_name = _("old address")
        verbose_name_plural = _("old addresses")
        constraints = [
            models.UniqueConstraint(fields=["model", "old_slug"], name="slug_history_unique"),
        ]

    def __str__(self):
        return f"{self.model}/{self.old_slug}"

    @classmethod
    def remember(cls, obj, old_slug):
        """``obj`` was called ``old_slug``: keep that address for it (and drop an old
        address ``obj``'s new slug had been, since the slug now names ``obj`` itself)."""
        name = obj._meta.model_name
        cls.objects.update_or_create(model=name, old_slug=old_slug, defaults={"record_id": obj.pk})
        cls.objects.filter(model=name, old_slug=obj.slug).delete()

    @classmethod
    def current(cls, queryset, slug):
        """The record of ``queryset`` that was once called ``slug``, or None."""
        model = queryset.model._meta.model_name
        ids = cls.objects.filter(model=model, old_slug=slug).values("record_id")
        return queryset.filter(pk__in=ids).first()


class RecordQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Rows inserted at once derive what a save derives (:meth:`Record.prepare_write`)."""
        objs = list(objs)
        for obj in objs:
            obj.prepare_write()
        return super().bulk_create(objs, *args, **kwargs)

    def record_change(self, *, by, reason):
        """The bookkeeping of a change made to these records without saving them one by
        one (a part edited on its own page, an import, a bulk action).

        Every record here gets a new version, who changed it (``by``; ``None`` is the seed
        loader) and when, and a history row giving ``reason``; the record-wide version
        moves on. Returns the number of records.
        """
        ids = list(self.order_by().values_list("pk", flat=True))
        if not ids:
            return 0
        model = self.model
        now = timezone.now()
        model._base_manager.filter(pk__in=ids).update(
            version=F("version") + 1, changed_by=by, updated_at=now
        )
        model.after_change(ids)
        from .bulk import write_history  # bulk builds on this module

        write_history(model, ids, update=True, by=by, reason=reason, when=now)
        RecordVersion.bump(model)
        return len(ids)


class Record(models.Model):
    """What every curated record carries: timestamps, who changed it, and an edit version.

    ``version`` is the optimistic lock: an edit made from version N is refused once
    someone else has saved version N+1. ``changed_by`` is empty for records written by
    the seed loader, so the loader can tell an editor's change from its own.
    """

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Saves keep the derived fields: :meth:`prepare_write` before, :meth:`after_change`
        after (inside the caller's transaction)."""
        created = self._state.adding
        self.prepare_write()
        super().save(*args, **kwargs)
        type(self).after_change([self.pk], created=created)

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj.after_load()
        return obj

    def after_load(self):
        """What a row read from the database keeps besides its values: its slug as read,
        to tell a rename. Readers that build rows their own way call it too (the
        import's ``tracker.imports.stored.instances``)."""
        # Only when loaded: reading a deferred slug would cost a query per row.
        self._loaded_slug = self.__dict__.get("slug")

    @property
    def edited_by_person(self):
        """True once someone has saved the record by hand since it was loaded from the seeds."""
        return self.changed_by_id is not None

    def mark_changed(self, *, by, reason, from_version=None):
        """The bookkeeping of a change to this instance, to call just before saving it.

        A new record starts at version 1; a changed one moves on from ``from_version``
        (the version the editor's form was opened at) or from its own. ``by`` is who
        changed it (``None``: the seed loader); ``reason`` goes into its history row. The
        record-wide version moves on too.
        """
        self.stamp_change(by=by, reason=reason, from_version=from_version)
        RecordVersion.bump(type(self))

    def stamp_change(self, *, by, reason, from_version=None):
        """:meth:`mark_changed` without moving the record-wide version, for writes that
        save many records at once and move it once (``tracker.models.bulk``)."""
        if self._state.adding:
            self.version = 1
        else:
            self.version = (from_version or self.version) + 1
        self.changed_by = by
        self.updated_at = timezone.now()
        self._change_reason = str(reason)
        old_slug = getattr(self, "_loaded_slug", None)
        if old_slug and old_slug != self.slug:
            SlugHistory.remember(self, old_slug)
            self._loaded_slug = self.slug

    def prepare_write(self):
        """Hook for what a row derives from its own fields before it is written (nothing
        here); the bulk writers (``tracker.models.bulk``) call it too."""

    @classmethod
    def after_change(cls, ids, *, created=False):
        """Hook for what a model derives from its rows after they change (nothing here);
        ``created``: the rows were just created.

        Every write path calls it: single saves, :meth:`RecordQuerySet.record_change` and
        the bulk writers."""
