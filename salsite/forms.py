"""The demo site's forms: buying tickets, "notify me" for a sold-out show, signing up and in, the account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salsite.checkout import MAX_PER_ORDER
from salsite.models import Profile, Show, TicketOption


class BuyForm(forms.Form):
    option = forms.ModelChoiceField(queryset=TicketOption.objects.none(), label=_("Ticket"))
    quantity = forms.IntegerField(min_value=1, max_value=MAX_PER_ORDER, label=_("Quantity"))

    def __init__(self, show: Show, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["option"].queryset = show.event.ticket_options.all()  # type: ignore[attr-defined]


class NotifyForm(forms.Form):
    email = forms.EmailField(label=_("Email"))


def _email_taken(email: str, *, other_than: int | None = None) -> bool:
    accounts = User.objects.filter(email__iexact=email)
    if other_than is not None:
        accounts = accounts.exclude(pk=other_than)
    return accounts.exists()


class SignUpExtraForm(forms.Form):
    """What sign-up asks besides the email and password (allauth's form adds these fields)."""

    name = forms.CharField(label=_("Name"), max_length=150, required=False)

    def signup(self, request: HttpRequest, user: User) -> None:
        first, _sep, last = self.cleaned_data["name"].strip().partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
        user.save(update_fields=["first_name", "last_name"])


class AccountChangeForm(UserChangeForm[User]):
    """The admin's account form: an email another account has (in any case) is refused."""

    def clean_email(self) -> str:
        email = str(self.cleaned_data.get("email") or "").strip().lower()
        if email and _email_taken(email, other_than=self.instance.pk):
            raise forms.ValidationError(_("Another account has this email."))
        return email


class NameForm(forms.ModelForm[User]):
    """The account's name, as tickets and the organizer's report show it."""

    class Meta:
        model = User
        fields = ["first_name", "last_name"]
        labels = {"first_name": _("First name"), "last_name": _("Last name")}


class ProfileForm(forms.ModelForm[Profile]):
    """What a person tells the site about themselves; each opt-in is off until they tick it."""

    class Meta:
        model = Profile
        fields = [
            "phone",
            "birth_date",
            "residence_country",
            "allow_promo_email",
            "allow_promo_third_party_email",
            "allow_tracking",
            "resale_alerts",
            "language",
        ]
        labels = {
            "phone": _("Phone"),
            "birth_date": _("Birth date"),
            "residence_country": _("Country of residence"),
            "language": _("Language of our emails"),
        }
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "birth_date": forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        }

    def clean_birth_date(self) -> Any:
        born = self.cleaned_data.get("birth_date")
        if born is not None and born > timezone.localdate():
            raise forms.ValidationError(_("A birth date cannot be in the future."))
        return born
