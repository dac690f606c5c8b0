"""Power declarations in the admin: read the filings, return one to the firm with a question."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.models import PowerDeclaration
from registry.services import declarations

from .base import RegistryAdmin, decision_action


class QuestionForm(forms.Form):
    question = forms.CharField(label=_("Question for the firm"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(PowerDeclaration)
class PowerDeclarationAdmin(RegistryAdmin):
    export_dataset = "declarations"
    list_display = [
        "facility",
        "month",
        "consumed_mwh",
        "peak_mw",
        "devices",
        "power_source",
        "is_current",
        "review",
        "filed_at",
    ]
    list_filter = ["review", "is_current", "power_source", "facility__region"]
    actions = ["return_with_question"]

    @decision_action(description=_("Return to the firm with a question"), form_class=QuestionForm)
    def return_with_question(request, declaration, data):
        declarations.declaration_return(declaration=declaration, question=data["question"])

    search_fields = ["=facility__ref", "=facility__firm__bin", "facility__firm__name"]
    autocomplete_fields = ["facility"]
    raw_id_fields = ["supersedes", "filed_by"]
    list_select_related = ["facility"]
    date_hierarchy = "month"
    readonly_fields = ["filed_at", "is_current", "supersedes", "review", "question", "answer"]
