"""Every string a user reads has a Russian and a Kazakh translation, and every compiled catalogue matches its source.

The project's own strings live in locale/{ru,kk}. Django and the apps it uses ship complete Russian but
incomplete Kazakh; config/locale_upstream/kk supplies the rest. A failure names each msgid and its file.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)
LANGUAGES = ("ru", "kk")
# Where the project's translatable strings are written (templates, Python).
SOURCE_DIRS = ("templates", "registry", "config")
UPSTREAM_KK = BASE_DIR / "config" / "locale_upstream" / "kk" / "LC_MESSAGES"

# Catalogues of Django and the apps whose strings reach the regulator's or a firm's screen:
# (package, domain). Each msgid Russian translates needs a Kazakh translation too.
UPSTREAM_CATALOGUES = [
    ("django.conf", "django"),
    ("django.contrib.admin", "django"),
    ("django.contrib.admin", "djangojs"),
    ("django.contrib.auth", "django"),
    ("django.contrib.contenttypes", "django"),
    ("django.contrib.sessions", "django"),
    ("django.contrib.postgres", "django"),
    ("rest_framework", "django"),
    ("django_filters", "django"),
    ("axes", "django"),
]

# %(name)s, %s, %d, %r and str.format's {name} / {}: a translation that invents one fails at runtime.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sdr]|\{\w*\}")


def _key(entry) -> tuple[str | None, str]:
    return (entry.msgctxt or None, entry.msgid)


def _name(entry) -> str:
    context = f" (context {entry.msgctxt!r})" if entry.msgctxt else ""
    return f"{entry.msgid!r}{context}"


def _nplurals(catalogue) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", catalogue.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 2


def _problem(entry, nplurals: int) -> str | None:
    """Why a catalogue entry does not translate its msgid, or None when it does."""
    if entry.obsolete:
        return "obsolete (#~)"
    if "fuzzy" in entry.flags:
        return "fuzzy"
    if entry.msgid_plural:
        forms = [entry.msgstr_plural.get(i, "") for i in range(nplurals)]
        empty = [str(i) for i, form in enumerate(forms) if not form]
        return f"plural form(s) {', '.join(empty)} empty" if empty else None
    return None if entry.msgstr else "empty msgstr"


def _translated(entry) -> bool:
    if entry.obsolete or "fuzzy" in entry.flags or not entry.msgid:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def _load(base: Path):
    """A catalogue from its .po, or from its .mo when only that is shipped (Django REST framework)."""
    po, mo = base.parent / f"{base.name}.po", base.parent / f"{base.name}.mo"
    if po.exists():
        return polib.pofile(str(po))
    return polib.mofile(str(mo)) if mo.exists() else None


def _package_locale(package: str) -> Path:
    return Path(importlib.util.find_spec(package).submodule_search_locations[0]) / "locale"


def _committed_catalogues() -> list[Path]:
    return sorted(BASE_DIR.glob("locale/*/LC_MESSAGES/*.po")) + sorted(
        BASE_DIR.glob("config/locale_upstream/*/LC_MESSAGES/*.po")
    )


def _relative(path: Path) -> str:
    return str(path.relative_to(BASE_DIR))


# --- (a) the project's strings ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The msgids makemessages finds in the source today, extracted into a scratch copy (the repo is not touched)."""
    if not shutil.which("xgettext"):
        pytest.skip("xgettext (GNU gettext) is not installed: apt-get install gettext")
    scratch = tmp_path_factory.mktemp("makemessages")
    for name in SOURCE_DIRS:
        shutil.copytree(
            BASE_DIR / name,
            scratch / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "locale_upstream", ".*"),
        )
    (scratch / "locale").mkdir()
    # Without settings, makemessages writes to ./locale of the scratch copy, fresh (no merge with ours).
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "--locale", "ru"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    pot = scratch / "locale" / "ru" / "LC_MESSAGES" / "django.po"
    return [entry for entry in polib.pofile(str(pot)) if entry.msgid] if pot.exists() else []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_source_string_has_a_translation(extracted, language):
    path = BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"{_relative(path)} is missing: run `make messages` and translate it"
    catalogue = polib.pofile(str(path))
    nplurals = _nplurals(catalogue)
    committed = {_key(entry): entry for entry in catalogue}

    problems = []
    for entry in extracted:
        ours = committed.get(_key(entry))
        if ours is None:
            problems.append((entry, "missing (run `make messages`)"))
        elif (ours.msgid_plural or "") != (entry.msgid_plural or ""):
            problems.append((entry, f"plural is now {entry.msgid_plural!r} (run `make messages`)"))
        elif why := _problem(ours, nplurals):
            problems.append((entry, why))

    assert not problems, f"{_relative(path)}: {len(problems)} string(s) not translated to {language}:\n" + "\n".join(
        f"  {_name(entry)}: {why} — in {', '.join(f'{file}:{line}' for file, line in entry.occurrences[:3])}"
        for entry, why in problems
    )


# --- (b) compiled catalogues -----------------------------------------------------------------------------------


def _po_content(catalogue) -> dict:
    return {
        _key(e): tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural)) if e.msgid_plural else (e.msgstr,)
        for e in catalogue
        if _translated(e)
    }


@pytest.mark.parametrize("po_path", _committed_catalogues(), ids=_relative)
def test_the_compiled_catalogue_matches_its_source(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{_relative(mo_path)} is missing: run `make messages`"
    source, compiled = polib.pofile(str(po_path)), polib.mofile(str(mo_path))

    want, got = _po_content(source), _po_content(compiled)

    stale = sorted({k for k in want.keys() | got.keys() if want.get(k) != got.get(k)}, key=str)
    assert not stale, (
        f"{_relative(mo_path)} is out of date with its .po for {len(stale)} msgid(s) (run `make messages`):\n"
        + "\n".join(f"  {msgid!r}" + (f" (context {ctx!r})" if ctx else "") for ctx, msgid in stale)
    )
    plural_forms = source.metadata.get("Plural-Forms"), compiled.metadata.get("Plural-Forms")
    assert plural_forms[0] == plural_forms[1], f"{_relative(mo_path)}: Plural-Forms differ from the .po's"


@pytest.mark.parametrize("po_path", _committed_catalogues(), ids=_relative)
def test_no_translation_invents_a_placeholder(po_path):
    catalogue = polib.pofile(str(po_path))
    wrong = []
    for entry in (e for e in catalogue if _translated(e)):
        allowed = PLACEHOLDER.findall(entry.msgid) + PLACEHOLDER.findall(entry.msgid_plural or "")
        forms = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for form in forms:
            used = PLACEHOLDER.findall(form)
            # Plural forms may drop the count; a singular keeps the msgid's placeholders exactly.
            if not set(used) <= set(allowed) or (not entry.msgid_plural and sorted(used) != sorted(allowed)):
                wrong.append(f"  {_name(entry)}: {form!r}")
    assert not wrong, f"{_relative(po_path)}: placeholders differ from the msgid's:\n" + "\n".join(wrong)


# --- (c) Django's and the apps' strings in Kazakh ---------------------------------------------------------------


def _upstream_kk(domain: str) -> set:
    catalogue = _load(UPSTREAM_KK / domain)
    return {_key(e) for e in catalogue if _translated(e)} if catalogue else set()


@pytest.mark.parametrize("package,domain", UPSTREAM_CATALOGUES, ids=lambda v: v)
def test_every_string_django_translates_to_russian_has_a_kazakh_translation(package, domain):
    locale = _package_locale(package)
    russian = _load(locale / "ru" / "LC_MESSAGES" / domain)
    assert russian is not None, f"{package} ships no Russian {domain} catalogue: remove it from UPSTREAM_CATALOGUES"
    # What Django loads at runtime: the app's compiled kk catalogue (fuzzy entries are not in it), then ours.
    theirs = locale / "kk" / "LC_MESSAGES" / f"{domain}.mo"
    kazakh = _upstream_kk(domain)
    if theirs.exists():
        kazakh |= {_key(e) for e in polib.mofile(str(theirs)) if _translated(e)}

    missing = [e for e in russian if _translated(e) and _key(e) not in kazakh]

    assert not missing, (
        f"{len(missing)} msgid(s) of {russian.fpath} have no Kazakh translation "
        f"in {package}'s kk catalogue nor in {_relative(UPSTREAM_KK / domain)}.po:\n"
        + "\n".join(f"  {_name(e)}" for e in missing)
    )


# --- (d) a page rendered in Kazakh ------------------------------------------------------------------------------


def test_the_admin_login_page_and_its_error_read_in_kazakh(client, db):
    url = reverse("admin:login")

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    failed = client.post(url, {"username": "rita", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="kk").content.decode()

    # Neither string is in Django's own kk catalogue.
    assert "Негізгі мазмұнға өту" in page and "Skip to main content" not in page
    assert "Қызметкер тіркелгісінің дұрыс пайдаланушы аты мен құпиясөзін енгізіңіз." in failed


def test_a_regulator_reads_an_admin_list_in_kazakh(client, regulator, firm_a):
    client.force_login(regulator)

    response = client.get(reverse("admin:registry_firm_changelist"), HTTP_ACCEPT_LANGUAGE="kk")

    assert response.status_code == 200, response.get("Location")
    page = response.content.decode()
    for kazakh, english in [
        (">Тіл<", ">Language<"),  # the language switcher in the admin's header
        ("Әрекет үшін осы беттегі барлық жазбаларды таңдау", "Select all objects on this page for an action"),
        (">Орындау<", ">Go<"),  # Django's kk has "Алға" ("forward")
    ]:
        assert kazakh in page and english not in page, english


def test_the_admin_calendar_and_selection_counter_read_in_kazakh(client, regulator):
    client.force_login(regulator)

    script = client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="kk").content.decode()

    # The JavaScript catalogue escapes non-ASCII text the way json.dumps does.
    for text in [
        "Қаңтар",  # January
        "%(cnt)s ішінен %(sel)s таңдалды",  # 2 of 5 selected
        "Ескерту: сіздің уақытыңыз сервер уақытынан %s сағат алда.",  # you are N hours ahead of server time
    ]:
        assert json.dumps(text)[1:-1] in script, text
    assert "(n!=1)" in script
