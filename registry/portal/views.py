"""The firm portal: thin views over forms and services, every query scoped to the user's firm."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from registry import clock
from registry.errors import RegistryError
from registry.models import Facility, Licence, LicenceDocument, Ownership, PowerDeclaration
from registry.selectors.declarations import firm_declarations_due
from registry.services import declarations, facilities, firms, licences

from . import forms
from .access import FirmUserMixin


class DashboardView(FirmUserMixin, TemplateView):
    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        due = firm_declarations_due(firm=self.firm, at=clock.now())
        context.update(
            licences=Licence.objects.filter(firm=self.firm).order_by("-valid_until", "-created_at"),
            due=due.facilities,
            due_month=due.month,
            deadline=due.last_day,
            overdue=due.overdue,
            questions=PowerDeclaration.objects.filter(
                facility__firm=self.firm, review=PowerDeclaration.Review.RETURNED
            ).select_related("facility"),
            pending=self.firm.verification != self.firm.Verification.VERIFIED,
        )
        return context


class ProfileView(FirmUserMixin, FormView):
    template_name = "portal/form.html"
    form_class = forms.ProfileForm
    success_url = reverse_lazy("portal:profile")
    extra_context = {"title": gettext_lazy("Firm profile")}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.firm}

    def form_valid(self, form):
        firms.firm_profile_update(firm=self.firm, **form.cleaned_data)
        messages.success(self.request, _("Your contact details are saved."))
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["readonly"] = [
            (_("BIN"), self.firm.bin or _("%(bin)s (not verified yet)") % {"bin": self.firm.claimed_bin}),
            (_("Name"), self.firm.name),
            (_("Region"), self.firm.get_region_display()),
        ]
        return context


class OwnerListView(FirmUserMixin, ListView):
    template_name = "portal/owners.html"

    def get_queryset(self):
        """The firm's own filings: never the registry's person, whom another firm may list too."""
        return Ownership.objects.filter(firm=self.firm).order_by("role", "filed_full_name", "pk")


class OwnerFormView(FirmUserMixin, FormView):
    template_name = "portal/form.html"
    form_class = forms.OwnerForm
    success_url = reverse_lazy("portal:owners")

    def get_ownership(self):
        if "pk" in self.kwargs:
            return get_object_or_404(
                Ownership.objects.filter(firm=self.firm).select_related("person"), pk=self.kwargs["pk"]
            )
        return None

    def get_initial(self):
        ownership = self.get_ownership()
        if ownership is None:
            return {}
        return {
            "full_name": ownership.filed_full_name,
            "iin": ownership.person.iin,
            "role": ownership.role,
            "share_percent": ownership.share_percent,
            "is_pep": ownership.filed_is_pep,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Owner or director"), **kwargs)

    def form_valid(self, form):
        try:
            firms.owner_save(firm=self.firm, ownership=self.get_ownership(), **form.cleaned_data)
        except RegistryError as error:
            forms.show_refusal(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return super().form_valid(form)


class FacilityListView(FirmUserMixin, ListView):
    template_name = "portal/facilities.html"

    def get_queryset(self):
        return Facility.objects.filter(firm=self.firm).prefetch_related("connections").order_by("ref")


class FacilityFormView(FirmUserMixin, FormView):
    template_name = "portal/form.html"
    form_class = forms.FacilityForm
    success_url = reverse_lazy("portal:facilities")
    requires_verified_firm = True

    def get_facility(self):
        if "pk" in self.kwargs:
            return get_object_or_404(Facility.objects.filter(firm=self.firm), pk=self.kwargs["pk"])
        return None

    def get_initial(self):
        facility = self.get_facility()
        if facility is None:
            return {"region": self.firm.region}
        meters = [c.meter_id for c in facility.connections.all()] + list(facility.unverified_meter_ids)
        return {
            "name": facility.name,
            "region": facility.region,
            "address": facility.address,
            "latitude": facility.latitude,
            "longitude": facility.longitude,
            "capacity_mw": facility.capacity_mw,
            "devices": facility.devices,
            "meter_ids": ", ".join(meters),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Facility"), **kwargs)

    def form_valid(self, form):
        facility = facilities.facility_save(firm=self.firm, facility=self.get_facility(), **form.cleaned_data)
        if facility.unverified_meter_ids:
            messages.warning(
                self.request,
                _("Meters kept for the regulator to verify: %(meters)s")
                % {"meters": ", ".join(facility.unverified_meter_ids)},
            )
        messages.success(self.request, _("Facility %(ref)s saved.") % {"ref": facility.ref})
        return super().form_valid(form)


class LicenceListView(FirmUserMixin, ListView):
    template_name = "portal/licences.html"

    def get_queryset(self):
        return Licence.objects.filter(firm=self.firm).prefetch_related("facilities").order_by("-created_at")


class LicenceDetailView(FirmUserMixin, DetailView):
    template_name = "portal/licence.html"
    context_object_name = "licence"

    def get_queryset(self):
        return Licence.objects.filter(firm=self.firm).prefetch_related("facilities", "documents")


class LicenceApplyView(FirmUserMixin, FormView):
    template_name = "portal/form.html"
    form_class = forms.LicenceApplicationForm
    requires_verified_firm = True
    extra_context = {"title": gettext_lazy("Apply for a licence"), "multipart": True}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "firm": self.firm}

    def form_valid(self, form):
        try:
            licence = licences.licence_apply(firm=self.firm, user=self.request.user, **form.cleaned_data)
        except RegistryError as error:
            forms.show_refusal(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your application is filed; the regulator will review it."))
        return redirect("portal:licence", pk=licence.pk)


class DocumentDownloadView(View):
    """A licence document, for its firm's users and for staff who may view documents."""

    def get(self, request, pk):
        if not request.user.is_authenticated:
            raise Http404
        document = get_object_or_404(LicenceDocument.objects.select_related("licence"), pk=pk)
        membership = getattr(request.user, "firm_membership", None)
        own = membership is not None and membership.firm_id == document.licence.firm_id
        staff = request.user.is_staff and request.user.has_perm("registry.view_licencedocument")
        if not (own or staff):
            raise Http404
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type="application/pdf",
        )


class DeclarationListView(FirmUserMixin, ListView):
    template_name = "portal/declarations.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            PowerDeclaration.objects.filter(facility__firm=self.firm)
            .select_related("facility")
            .order_by("-month", "facility__ref", "-filed_at")
        )


class DeclarationDetailView(FirmUserMixin, DetailView):
    template_name = "portal/declaration.html"
    context_object_name = "declaration"

    def get_queryset(self):
        return PowerDeclaration.objects.filter(facility__firm=self.firm).select_related("facility")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        d = self.object
        context["history"] = PowerDeclaration.objects.filter(facility=d.facility, month=d.month).order_by("-filed_at")
        context["answer_form"] = forms.AnswerForm()
        return context


class DeclarationFileView(FirmUserMixin, FormView):
    template_name = "portal/form.html"
    form_class = forms.DeclarationForm
    requires_verified_firm = True

    def get_correcting(self) -> PowerDeclaration | None:
        """The declaration being corrected (none when filing a new month)."""
        return None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "firm": self.firm, "correcting": self.get_correcting()}

    def get_initial(self):
        d = self.get_correcting()
        if d is None:
            return {}
        return {
            "facility": d.facility,
            "month": d.month,
            "consumed_mwh": d.consumed_mwh,
            "peak_mw": d.peak_mw,
            "devices": d.devices,
            "power_source": d.power_source,
        }

    def get_context_data(self, **kwargs):
        title = _("Correct a declaration") if self.get_correcting() else _("File a monthly declaration")
        return super().get_context_data(title=title, **kwargs)

    def form_valid(self, form):
        try:
            declaration, changed = declarations.declaration_submit(
                user=self.request.user, corrects=self.get_correcting(), **form.cleaned_data
            )
        except RegistryError as error:
            forms.show_refusal(form, error)
            return self.form_invalid(form)
        if changed:
            messages.success(
                self.request,
                _("Declaration for %(facility)s, %(month)s filed.")
                % {"facility": declaration.facility.ref, "month": f"{declaration.month:%Y-%m}"},
            )
        else:
            messages.info(self.request, _("Nothing changed: the declaration already has these values."))
        return redirect("portal:declarations")


class DeclarationCorrectView(DeclarationFileView):
    """Correct the current declaration of a month: the correction supersedes it, which is kept."""

    def get_correcting(self) -> PowerDeclaration:
        if not hasattr(self, "_correcting"):
            declaration = get_object_or_404(
                PowerDeclaration.objects.filter(facility__firm=self.firm).select_related("facility"),
                pk=self.kwargs["pk"],
            )
            if not declaration.is_current:
                raise Http404
            self._correcting = declaration
        return self._correcting


class DeclarationAnswerView(FirmUserMixin, View):
    def post(self, request, pk):
        declaration = get_object_or_404(PowerDeclaration.objects.filter(facility__firm=self.firm), pk=pk)
        form = forms.AnswerForm(request.POST)
        if form.is_valid():
            try:
                declarations.declaration_answer(declaration=declaration, answer=form.cleaned_data["answer"])
                messages.success(request, _("Your answer is sent to the regulator."))
            except RegistryError as error:
                messages.error(request, str(error))
        else:
            messages.error(request, _("Write your answer."))
        return redirect("portal:declaration", pk=declaration.pk)


class SignUpView(FormView):
    template_name = "portal/form.html"
    form_class = forms.SignUpForm
    extra_context = {"title": gettext_lazy("Register your firm")}

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("portal:dashboard")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = firms.firm_sign_up(
                bin=data["bin"],
                name=data["firm_name"],
                region=data["region"],
                email=data["email"],
                contact_person=data["contact_person"],
                phone=data["phone"],
                password=data["password1"],
            )
        except RegistryError as error:
            forms.show_refusal(form, error)
            return self.form_invalid(form)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            self.request,
            _(
                "Your firm is registered. Your login name is %(username)s: keep it with your password. The "
                "regulator will verify your firm and its BIN before you can file."
            )
            % {"username": user.get_username()},
        )
        return redirect(reverse("portal:dashboard"))
