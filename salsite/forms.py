"""The demo site's forms: buying tickets for a show, and "notify me" for a sold-out one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salsite.checkout import MAX_PER_ORDER
from salsite.models import Show, TicketOption


class BuyForm(forms.Form):
    option = forms.ModelChoiceField(queryset=TicketOption.objects.none(), label=_("Ticket"))
    quantity = forms.IntegerField(min_value=1, max_value=MAX_PER_ORDER, label=_("Quantity"))

    def __init__(self, show: Show, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["option"].queryset = show.event.ticket_options.all()  # type: ignore[attr-defined]


class NotifyForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
