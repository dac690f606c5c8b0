"""Portal forms: every error next to its field, in words a firm's employee understands."""

import datetime as dt
import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, SetPasswordMixin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from registry.errors import InvalidInput, RegistryError
from registry.models import Facility, Firm, Licence, Ownership, PowerDeclaration, Region
from registry.models.facilities import validate_devices
from registry.services.declarations import declaration_on_file_problem, declaration_problems
from registry.services.documents import document_name
from registry.validators import validate_bin

PDF_MAGIC = b"%PDF-"


def show_refusal(form: forms.Form, error: RegistryError) -> None:
    """Show a service's refusal on the form: each problem beside its field, anything else at the top."""
    problems = error.problems if isinstance(error, InvalidInput) else {None: str(error)}
    for field, message in problems.items():
        form.add_error(field if field in form.fields else None, message)


class MonthField(forms.DateField):
    """A month written YYYY-MM (the browser's month picker), kept as its first day."""

    widget = forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, dt.date) else value


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Firm
        fields = ["address", "email", "phone", "contact_person"]


class OwnerForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=255)
    iin = forms.CharField(
        label=_("IIN"), max_length=12, required=False, validators=[validate_bin], help_text=_("12 digits.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=Ownership.Role.choices)
    share_percent = forms.DecimalField(
        label=_("Share, %"), required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    is_pep = forms.BooleanField(
        label=_("Politically exposed person"),
        required=False,
        help_text=_("A senior public official, or a close relative or associate of one."),
    )


class FacilityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices)
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    latitude = forms.DecimalField(label=_("Latitude"), required=False, min_value=-90, max_value=90, decimal_places=6)
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180, decimal_places=6
    )
    capacity_mw = forms.DecimalField(label=_("Installed capacity, MW"), min_value=0, max_digits=10, decimal_places=3)
    devices = forms.IntegerField(label=_("Mining devices"), required=False, min_value=0, validators=[validate_devices])
    meter_ids = forms.CharField(
        label=_("Grid meter ids"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "As on your grid company's bill, separated by commas or new lines. A meter the registry does not "
            "have under your BIN yet is kept for the regulator to verify."
        ),
    )

    def clean_meter_ids(self):
        meters = list(
            dict.fromkeys(m.strip() for m in re.split(r"[,;\s]+", self.cleaned_data["meter_ids"]) if m.strip())
        )
        if not meters:
            raise forms.ValidationError(_("Give at least one meter id."))
        if any(len(m) > 64 for m in meters):
            raise forms.ValidationError(_("A meter id has at most 64 characters."))
        return meters


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PdfFilesField(forms.FileField):
    """Several PDF files, each at most DOCUMENT_MAX_BYTES."""

    widget = MultipleFileInput(attrs={"accept": "application/pdf,.pdf"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        errors = []
        for upload in files:
            upload = super().clean(upload, initial)
            name = document_name(upload.name)
            limit = settings.DOCUMENT_MAX_BYTES
            if upload.size > limit:
                errors.append(
                    _("“%(name)s” is %(size).1f MB; the limit is %(limit).0f MB.")
                    % {"name": name, "size": upload.size / 1e6, "limit": limit / 1e6}
                )
                continue
            head = upload.read(len(PDF_MAGIC))
            upload.seek(0)
            if not upload.name.lower().endswith(".pdf") or head != PDF_MAGIC:
                errors.append(_("“%(name)s” is not a PDF file.") % {"name": name})
        if errors:
            raise forms.ValidationError(errors)
        return files


class LicenceApplicationForm(forms.Form):
    subtype = forms.ChoiceField(label=_("Subtype"), choices=Licence.Subtype.choices, widget=forms.RadioSelect)
    facilities = forms.ModelMultipleChoiceField(
        label=_("Facilities"), queryset=Facility.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    capacity_mw = forms.DecimalField(label=_("Capacity applied for, MW"), min_value=0, max_digits=10, decimal_places=3)
    documents = PdfFilesField(label=_("Supporting documents (PDF)"), required=True)

    def __init__(self, *args, firm: Firm, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facilities"].queryset = Facility.objects.filter(firm=firm).order_by("ref")
        self.fields["documents"].help_text = _("PDF files only, at most %(limit).0f MB each.") % {
            "limit": settings.DOCUMENT_MAX_BYTES / 1e6
        }


class DeclarationForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    month = MonthField(label=_("Month"))
    consumed_mwh = forms.DecimalField(label=_("Energy consumed, MWh"), max_digits=12, decimal_places=3)
    peak_mw = forms.DecimalField(label=_("Peak load, MW"), required=False, max_digits=10, decimal_places=3)
    devices = forms.IntegerField(
        label=_("Devices operating"),
        required=False,
        min_value=0,
        validators=[validate_devices],
        error_messages={"min_value": _("The number of devices cannot be negative.")},
    )
    power_source = forms.ChoiceField(label=_("Power source"), choices=PowerDeclaration.PowerSource.choices)

    def __init__(self, *args, firm: Firm, correcting: PowerDeclaration | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.correcting = correcting
        self.fields["facility"].queryset = Facility.objects.filter(firm=firm).order_by("ref")
        if correcting is not None:
            for name in ("facility", "month"):
                self.fields[name].disabled = True

    def clean(self):
        data = super().clean()
        facility, month, consumed = data.get("facility"), data.get("month"), data.get("consumed_mwh")
        if facility is None or month is None or consumed is None:
            return data
        month = month.replace(day=1)
        data["month"] = month
        for field, message in declaration_problems(
            facility=facility, month=month, consumed_mwh=consumed, peak_mw=data.get("peak_mw")
        ).items():
            self.add_error(field, message)
        on_file = PowerDeclaration.objects.filter(facility=facility, month=month, is_current=True).first()
        problem = declaration_on_file_problem(facility=facility, month=month, on_file=on_file, corrects=self.correcting)
        if problem and on_file is not None:
            url = reverse("portal:declaration-correct", args=[on_file.pk])
            problem = format_html('{} <a href="{}">{}</a>', problem, url, _("Open the declaration on file"))
        if problem:
            self.add_error("month", problem)
        return data


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}))


class SignUpForm(SetPasswordMixin, forms.Form):
    """A firm's registration. It has no login-name field and checks nothing against the registry, so its
    answers tell no one which BINs, names or addresses are known (firm_sign_up)."""

    bin = forms.CharField(
        label=_("BIN"),
        max_length=12,
        validators=[validate_bin],
        help_text=_("Your firm's 12-digit business identification number. The regulator checks it."),
    )
    firm_name = forms.CharField(label=_("Firm name"), max_length=255)
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices)
    contact_person = forms.CharField(label=_("Contact person"), max_length=255)
    email = forms.EmailField(label=_("Email"), help_text=_("Your login name is made from it and shown next."))
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean(self):
        data = super().clean()
        self.validate_passwords()
        # The password is checked against what the person typed (Django's similarity rule), as for any user.
        self.validate_password_for_user(
            get_user_model()(email=data.get("email", ""), first_name=data.get("contact_person", ""))
        )
        return data


class InvitationAwarePasswordResetForm(PasswordResetForm):
    """Password reset that also reaches invited users who never set a password (their link may be lost)."""

    def get_users(self, email):
        from django.contrib.auth import get_user_model

        return get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
