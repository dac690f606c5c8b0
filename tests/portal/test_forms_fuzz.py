"""Every portal form, posted generated values: the answer is a page with errors or a redirect, never a 5xx.

Hypothesis starts from values the form accepts and spoils one or two fields at a time (4-byte characters,
NUL, huge and negative numbers, long strings, blanks, odd decimals, months out of range, odd file names), so
each example gets past the other fields to the code that reads the spoiled one. Each example runs in a savepoint
that is rolled back, so examples do not depend on one another, and a refused form must leave no file behind.
The run is bounded and derandomized: CI posts the same MAX_EXAMPLES per form (some 850 requests for the 14
forms) in about 15 seconds, and a failure is the same on every run.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.conf import settings as django_settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import clock
from registry.models import Facility
from registry.portal import accounts as account_urls
from registry.portal import forms as portal_forms
from registry.portal import urls as portal_urls
from registry.services.declarations import declaration_file, declaration_return
from registry.services.firms import owner_save
from tests.clients import english_client
from tests.factories import BIN_C, new_bin
from tests.portal.helpers import PASSWORD, PDF, last_month

MAX_EXAMPLES = 60
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=dt.timedelta(seconds=5),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

TEXTS = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "\U0001d518" * 120,
    "x" * 10_000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
NUMBERS = [
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "1" + "0" * 40,
    "1e400",
    "-1e-400",
    "NaN",
    "-Infinity",
    "-1",
    "-0",
    "0.0000001",
    "1,5",
    "\u0661\u0662\u0663",
]
MONTHS = ["0000-01", "0001-01", "9999-12", "10000-01", "2024-13", "2024-00", "-2024-01", "2024-1", "9999-12-31"]


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


TEXT = st.one_of(
    st.sampled_from(TEXTS + NUMBERS + MONTHS),
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0x10000), min_size=1, max_size=300),
)
# Numbers at and past the edges the database draws (32- and 64-bit integers, a decimal's digits) most of
# the time, as that is where a form's checks and the column's range part.
NUMBER = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(NUMBERS),
    st.integers(min_value=2**31 - 2, max_value=2**64).map(str),
    st.integers(min_value=-(2**64), max_value=-(2**31) + 2).map(str),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    TEXT,
)
MONTH = st.one_of(st.sampled_from(MONTHS), st.dates().map(_month), st.dates().map(str), TEXT)
FILE_NAMES = st.one_of(
    st.sampled_from(
        [
            "\U0001d518" * 120 + ".pdf",
            "\U0001d518" * 120,
            "\u044f" * 300 + ".pdf",
            ".pdf",
            "a\x00b.pdf",
            "../../../etc/passwd.pdf",
            "..\\..\\boot.ini.pdf",
            "CON.pdf",
            " .pdf",
            "plan.PDF",
            "plan.pdf.exe",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=0x10000), min_size=60, max_size=130).map(lambda n: f"{n}.pdf"),
    st.text(max_size=200).map(lambda name: f"{name}.pdf"),
    st.text(min_size=1, max_size=200),
)
CONTENTS = st.one_of(st.just(PDF), st.just(PDF), st.binary(max_size=64))
# A valid PDF first, so that a spoilt file after it would leave the first one behind if the request failed.
FILES = st.lists(st.tuples(FILE_NAMES, CONTENTS), min_size=1, max_size=2).map(lambda files: [("plan.pdf", PDF), *files])
MISSING = object()


def _values_for(field: forms.Field) -> st.SearchStrategy:
    """Spoilt values for one field of a form: text, several values, or none at all."""
    if isinstance(field, forms.FileField):
        return st.one_of(FILES, st.just([]))
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        one = NUMBER
    elif isinstance(field, forms.DateField):
        one = MONTH
    else:
        one = TEXT
    many = st.lists(one, max_size=4)
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return st.one_of(many, one)
    return st.one_of(one, many, st.just(MISSING))


@st.composite
def spoilt(draw, form_class: type[forms.BaseForm], valid: dict) -> dict:
    """`valid`, with one or two of the form's fields given generated values instead."""
    fields = form_class.base_fields
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=2, unique=True))
    data = dict(valid)
    for name in chosen:
        value = draw(_values_for(fields[name]))
        if value is MISSING:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _multipart(data: dict) -> dict:
    """What the test client posts: (name, content) pairs become uploaded files, made afresh for each request."""

    def upload(item):
        if isinstance(item, tuple):
            name, content = item
            return SimpleUploadedFile(name, content, content_type="application/pdf")
        return item

    return {key: [upload(v) for v in value] if isinstance(value, list) else value for key, value in data.items()}


@pytest.fixture
def world(alice, documents):
    """Alice's firm with an owner and a declaration returned with a question: every form has something to act on."""
    firm = alice.firm_membership.firm
    facility = Facility.objects.get(ref="FAC-A1")
    ownership = owner_save(
        firm=firm, full_name="Aliya Alpha", iin=BIN_C, role="director", share_percent=None, is_pep=False
    )
    declaration, _ = declaration_file(facility=facility, month=last_month(), consumed_mwh=Decimal("700"))
    declaration_return(declaration=declaration, question="Why so low?")
    return {"facility": facility, "ownership": ownership, "declaration": declaration}


OWNER = {"full_name": "Aigerim Sadykova", "iin": BIN_C, "role": "beneficial_owner", "share_percent": "25"}
FACILITY = {
    "name": "Alpha site 2",
    "region": "pavlodar",
    "address": "Ekibastuz",
    "latitude": "51.7234",
    "longitude": "75.3221",
    "capacity_mw": "5",
    "devices": "1500",
    "meter_ids": "PV-0001, PV-0042",
}
DECLARED = {"consumed_mwh": "1200.5", "peak_mw": "8.5", "devices": "300", "power_source": "own_renewable"}


def _declaration(world) -> dict:
    """A month before the one the world has on file, so that filing it is accepted."""
    month = clock.previous_month(last_month())
    return {"facility": str(world["facility"].pk), "month": _month(month), **DECLARED}


# Every form a firm user or a visitor posts: (URL name, its arguments from the world, the form, valid values, who).
FORMS = {
    "portal:profile": (
        None,
        portal_forms.ProfileForm,
        lambda w: {"address": "Pavlodar", "email": "office@alpha.test", "phone": "+7 700", "contact_person": "A"},
    ),
    "portal:owner-add": (None, portal_forms.OwnerForm, lambda w: OWNER),
    "portal:owner-edit": ("ownership", portal_forms.OwnerForm, lambda w: OWNER),
    "portal:facility-add": (None, portal_forms.FacilityForm, lambda w: FACILITY),
    "portal:facility-edit": ("facility", portal_forms.FacilityForm, lambda w: FACILITY),
    "portal:licence-apply": (
        None,
        portal_forms.LicenceApplicationForm,
        lambda w: {
            "subtype": "II",
            "facilities": [str(w["facility"].pk)],
            "capacity_mw": "3",
            "documents": [("plan.pdf", PDF)],
        },
    ),
    "portal:declaration-file": (None, portal_forms.DeclarationForm, _declaration),
    "portal:declaration-correct": ("declaration", portal_forms.DeclarationForm, _declaration),
    "portal:declaration-answer": ("declaration", portal_forms.AnswerForm, lambda w: {"answer": "The meter was off."}),
    "accounts:password_change": (
        None,
        auth_forms.PasswordChangeForm,
        lambda w: {"old_password": "pass", "new_password1": PASSWORD, "new_password2": PASSWORD},
    ),
}
ANONYMOUS_FORMS = {
    "accounts:signup": (
        portal_forms.SignUpForm,
        lambda: {
            "bin": new_bin(),
            "firm_name": "Gamma Hash LLP",
            "region": "astana",
            "contact_person": "Gulnara Akhmetova",
            "email": "gulnara@gamma.test",
            "phone": "+7 701 000 0000",
            "username": "gulnara",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    ),
    "accounts:login": (auth_forms.AuthenticationForm, lambda: {"username": "alice", "password": "pass"}),
    "accounts:password_reset": (portal_forms.InvitationAwarePasswordResetForm, lambda: {"email": "alice@alpha.test"}),
}


def _stored(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def _posts(client, url: str, data: dict):
    """Post in a savepoint that is then rolled back, so no example sees another's rows.

    A refused form must leave no file behind in the documents folder.
    """
    folder = Path(django_settings.STORAGES["documents"]["OPTIONS"]["location"])
    before = _stored(folder)
    with transaction.atomic():
        response = client.post(url, _multipart(data))
        transaction.set_rollback(True)
    if response.status_code != 302:
        assert _stored(folder) == before, "a refused form left a file behind"
    return response


# Account pages that take a POST but are not fuzzed above: logging out posts no form, and setting a password
# (from a reset or an invitation) is fuzzed on its own, from a link's token.
NO_FORM = {"accounts:logout"}
FROM_A_LINK = {"accounts:password_reset_confirm", "accounts:invite"}


def _posting(app: str, patterns) -> set[str]:
    return {
        f"{app}:{p.name}"
        for p in patterns
        if isinstance(p, URLPattern) and hasattr(getattr(p.callback, "view_class", None), "post")
    }


def test_every_portal_and_account_form_is_fuzzed():
    posting = _posting("portal", portal_urls.urlpatterns) | _posting("accounts", account_urls.urlpatterns)

    assert posting == set(FORMS) | set(ANONYMOUS_FORMS) | NO_FORM | FROM_A_LINK


@pytest.mark.parametrize("name", FORMS)
@FUZZ
@given(data=st.data())
def test_a_firm_users_form_never_answers_5xx(alice, world, name, data):
    kind, form_class, valid = FORMS[name]
    url = reverse(name, args=[world[kind].pk] if kind else [])
    client = english_client(alice)
    values = data.draw(spoilt(form_class, valid(world)), label="posted")

    response = _posts(client, url, values)

    assert response.status_code in (200, 302), response.status_code


@pytest.mark.parametrize("name", ANONYMOUS_FORMS)
@FUZZ
@given(data=st.data())
def test_a_visitors_form_never_answers_5xx(alice, name, data):
    form_class, valid = ANONYMOUS_FORMS[name]
    values = data.draw(spoilt(form_class, valid()), label="posted")

    response = _posts(english_client(), reverse(name), values)

    assert response.status_code in (200, 302), response.status_code


@pytest.fixture
def set_password(alice):
    """A visitor who followed alice's password link: their browser and the page that sets the password."""
    client = english_client()
    link = reverse(
        "accounts:password_reset_confirm",
        args=[urlsafe_base64_encode(force_bytes(alice.pk)), default_token_generator.make_token(alice)],
    )
    return client, client.get(link)["Location"]


@FUZZ
@given(data=st.data())
def test_the_set_password_form_never_answers_5xx(set_password, data):
    client, url = set_password
    values = data.draw(spoilt(auth_forms.SetPasswordForm, {"new_password1": PASSWORD, "new_password2": PASSWORD}))

    response = _posts(client, url, values)

    assert response.status_code in (200, 302), response.status_code


@pytest.mark.parametrize("name", FORMS)
def test_the_values_the_fuzz_starts_from_are_accepted(alice, world, name):
    """Each example spoils a few fields of values the form accepts, so it reaches the code behind the form."""
    kind, form_class, valid = FORMS[name]
    url = reverse(name, args=[world[kind].pk] if kind else [])

    response = _posts(english_client(alice), url, valid(world))

    assert response.status_code == 302, response.context["form"].errors if response.context else response


@pytest.mark.parametrize("name", ANONYMOUS_FORMS)
def test_the_values_a_visitors_fuzz_starts_from_are_accepted(alice, name):
    form_class, valid = ANONYMOUS_FORMS[name]

    response = _posts(english_client(), reverse(name), valid())

    assert response.status_code == 302, response.context["form"].errors if response.context else response
