"""The public register's search and check forms (GET, no login)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Region
from registry.validators import validate_bin

# Longer than any firm name, BIN or licence number: a longer query cannot match and is refused.
MAX_QUERY = 255
MAX_LICENCE_NUMBER = 32


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("BIN, name or licence number"),
        required=False,
        max_length=MAX_QUERY,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    region = forms.ChoiceField(label=_("Region"), required=False, choices=[("", _("All regions")), *Region.choices])

    def filters(self) -> dict[str, str] | None:
        """The selector's keyword arguments, or None when the query is refused (then nothing is listed)."""
        if not self.is_bound:
            return {"q": "", "region": ""}
        if not self.is_valid():
            return None
        return {"q": self.cleaned_data["q"], "region": self.cleaned_data["region"]}


class WarningSearchForm(SearchForm):
    """The warning list has no licence numbers to search."""

    q = forms.CharField(
        label=_("BIN or name"),
        required=False,
        max_length=MAX_QUERY,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class CheckForm(forms.Form):
    q = forms.CharField(
        label=_("BIN or licence number"),
        required=False,
        max_length=64,
        help_text=_("A BIN has 12 digits; a licence number looks like KZ-DM-2024-000001."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def clean_q(self) -> str:
        """The query as typed (white space made single); a 12-digit one must be a valid BIN."""
        text = " ".join(self.cleaned_data["q"].split())
        compact = text.replace(" ", "")
        if compact.isascii() and compact.isdigit():
            if len(compact) != 12:
                raise forms.ValidationError(_("A BIN has exactly 12 digits."), code="bin_format")
            validate_bin(compact)
        elif len(compact) > MAX_LICENCE_NUMBER:
            raise forms.ValidationError(
                _("Enter a BIN (12 digits) or a licence number (at most %(max)d characters).")
                % {"max": MAX_LICENCE_NUMBER},
                code="too_long",
            )
        return text
