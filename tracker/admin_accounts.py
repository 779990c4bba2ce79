"""Accounts: a publisher creates, deactivates and reactivates editor and publisher
accounts on one page.

A publisher never reaches a superuser, never grants a permission or a group other than
the two roles, and never types someone else's password: a new account gets a one-time
link (Django's password-reset token) to set its own.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.html import format_html
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Account
from .roles import ROLES

ROLE_LABELS = {"Editor": gettext_lazy("Editor"), "Publisher": gettext_lazy("Publisher")}


def can_manage_accounts(user):
    """Publishers (who hold the permission to publish) and superusers."""
    return user.is_active and user.is_staff and user.has_perm("tracker.publish_event")


def manageable_accounts():
    """The accounts a publisher may manage: staff, not superusers, with no permission of
    their own and no group besides the two roles."""
    other_groups = Group.objects.exclude(name__in=ROLES)
    return (
        Account.objects.filter(is_staff=True, is_superuser=False)
        .exclude(Q(groups__in=other_groups) | Q(user_permissions__isnull=False))
        .distinct()
        .prefetch_related("groups")
        .order_by("username")
    )


def set_password_link(request, account):
    """The one-time link with which ``account`` sets its password."""
    url = reverse(
        "admin:tracker_account_set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(account.pk)),
            "token": default_token_generator.make_token(account),
        },
    )
    return request.build_absolute_uri(url)


class NewAccountForm(forms.ModelForm):
    role = forms.ChoiceField(label=gettext_lazy("role"), choices=list(ROLE_LABELS.items()))

    class Meta:
        model = Account
        fields = ["username", "first_name", "last_name", "email"]

    def save(self, commit=True):
        account = super().save(commit=False)
        account.is_staff = True
        account.is_superuser = False
        account.set_unusable_password()
        account.save()
        account.groups.set([Group.objects.get(name=self.cleaned_data["role"])])
        return account


class SetPasswordView(PasswordResetConfirmView):
    """The page a new account's link opens: choose a password, then the admin opens."""

    template_name = "admin/tracker/account/set_password.html"
    post_reset_login = True
    # The password was just set through the link; django-axes' backend, first in the list,
    # only guards logins that type one.
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("admin:index")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is None or not user.is_active:
            return None
        return manageable_accounts().filter(pk=user.pk).first()


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """One page: the form for a new account, and the accounts with a button each to
    deactivate or reactivate them."""

    def has_module_permission(self, request):
        return can_manage_accounts(request.user)

    def has_view_permission(self, request, obj=None):
        return can_manage_accounts(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return manageable_accounts()

    def get_urls(self):
        set_password = path(
            "set-password/<uidb64>/<token>/",
            self.set_password_view,
            name="tracker_account_set_password",
        )
        return [set_password, *super().get_urls()]

    def set_password_view(self, request, uidb64, token):
        context = {**self.admin_site.each_context(request), "title": _("Choose your password")}
        view = SetPasswordView.as_view(extra_context=context)
        return view(request, uidb64=uidb64, token=token)

    def changelist_view(self, request, extra_context=None):
        if not can_manage_accounts(request.user):
            raise PermissionDenied
        form = NewAccountForm(request.POST if "create" in request.POST else None)
        if request.method == "POST":
            if "create" in request.POST:
                if form.is_valid():
                    self._created(request, form.save())
                    return redirect(request.path)
            else:
                self._switch(request)
                return redirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "opts": self.model._meta,
            "title": _("Accounts"),
            "form": form,
            "accounts": [
                (account, [ROLE_LABELS.get(g.name, g.name) for g in account.groups.all()])
                for account in manageable_accounts()
            ],
        }
        return TemplateResponse(request, "admin/tracker/account/accounts.html", context)

    def _created(self, request, account):
        self.log_addition(request, account, [{"added": {}}])
        self.message_user(
            request,
            format_html(
                _(
                    "Created the account {}. Send them this link to choose their password; "
                    "it works once, for a few days: {}"
                ),
                account.get_username(),
                set_password_link(request, account),
            ),
            messages.SUCCESS,
        )

    def _switch(self, request):
        """Deactivate, reactivate or send a new link to one account of the list."""
        pk = request.POST.get("account", "")
        account = get_object_or_404(manageable_accounts(), pk=pk if pk.isdigit() else None)
        name = account.get_username()
        if "deactivate" in request.POST:
            if account.pk == request.user.pk:
                self.message_user(request, _("You cannot deactivate yourself."), messages.ERROR)
                return
            account.is_active = False
            account.save(update_fields=["is_active"])
            self.log_change(request, account, _("Deactivated"))
            self.message_user(request, _("Deactivated %(name)s.") % {"name": name})
        elif "reactivate" in request.POST:
            account.is_active = True
            account.save(update_fields=["is_active"])
            self.log_change(request, account, _("Reactivated"))
            self.message_user(request, _("Reactivated %(name)s.") % {"name": name})
        elif "link" in request.POST and not account.has_usable_password():
            message = _("A new link for %(name)s to choose their password: %(link)s")
            link = set_password_link(request, account)
            self.message_user(request, message % {"name": name, "link": link})
