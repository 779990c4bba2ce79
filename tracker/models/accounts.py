from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _


class Account(User):
    """An editor's or publisher's login, as a publisher manages it on the accounts page.

    A proxy: the same rows as ``auth.User``, shown in the tracker's admin so that a
    publisher can create, deactivate and reactivate accounts without reaching the
    superuser's user admin.
    """

    class Meta:
        proxy = True
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
