"""Firms and their portal users: sign-up, verification, invitations, profile."""

import secrets
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from registry.errors import RegistryError
from registry.models import Firm, FirmMembership, Ownership, Person

User = get_user_model()


@transaction.atomic
def firm_sign_up(
    *, bin: str, name: str, region: str, email: str, contact_person: str, phone: str, password: str
) -> User:
    """Register a firm and its first user; the firm is pending until a regulator verifies it.

    Nothing here tells the person signing up whether the BIN or anything else is already known: the BIN is
    only claimed (`Firm.claimed_bin`), and blocks no one, until firm_verify checks it; the login name is
    made here (firm_login_name), so no one learns which names are taken.
    """
    firm = Firm.objects.create(
        bin=None,
        claimed_bin=bin,
        name=name,
        region=region,
        email=email,
        contact_person=contact_person,
        phone=phone,
        verification=Firm.Verification.PENDING,
    )
    user = User.objects.create_user(username=firm_login_name(email), email=email, password=password)
    FirmMembership.objects.create(user=user, firm=firm)
    return user


def firm_login_name(email: str) -> str:
    """A new, unused login name from an email address: `gulnara-4821` for gulnara@gamma.kz.

    Four digits first (easy to keep); where a common stem (info, or a Cyrillic address, which slugifies to
    "firm") has used them up, six hex characters, of which there are 16 million.
    """
    stem = slugify(email.split("@", 1)[0])[:20].strip("-") or "firm"
    for attempt in range(40):
        suffix = secrets.randbelow(9000) + 1000 if attempt < 20 else secrets.token_hex(3)
        username = f"{stem}-{suffix}"
        if not User.objects.filter(username__iexact=username).exists():
            return username
    raise RegistryError(_("No login name could be made: please try again."))


def firm_sign_up_claims(*, firm: Firm) -> dict:
    """What a regulator checks before verifying a signed-up firm: who else holds or claims its BIN."""
    if not firm.claimed_bin:
        return {"registered": None, "other_claims": []}
    return {
        "registered": _bin_holder(firm),
        "other_claims": list(
            Firm.objects.filter(claimed_bin=firm.claimed_bin, verification=Firm.Verification.PENDING)
            .exclude(pk=firm.pk)
            .order_by("created_at")
        ),
    }


@transaction.atomic
def firm_verify(*, firm: Firm) -> bool:
    """Let a signed-up firm file, its claimed BIN becoming its own; return whether it was pending.

    Refused while a registered firm holds that BIN: the person who signed up is then invited to that firm
    (if they belong to it), and this sign-up deleted.
    """
    firm = Firm.objects.select_for_update().get(pk=firm.pk)
    if firm.verification != Firm.Verification.PENDING:
        return False
    if firm.claimed_bin and (holder := _bin_holder(firm)):
        raise _held_by(firm, holder)
    firm.bin = firm.bin or firm.claimed_bin
    firm.verification = Firm.Verification.VERIFIED
    try:
        with transaction.atomic():
            firm.save(update_fields=["bin", "verification", "updated_at"])
    except IntegrityError:
        # Another sign-up claiming the same BIN was verified in the same moment.
        raise _held_by(firm, _bin_holder(firm)) from None
    return True


def _bin_holder(firm: Firm) -> Firm | None:
    """The registered firm, other than this one, whose BIN this firm claims."""
    return Firm.objects.filter(bin=firm.claimed_bin).exclude(pk=firm.pk).first()


def _held_by(firm: Firm, holder: Firm | None) -> RegistryError:
    return RegistryError(
        _(
            "BIN %(bin)s belongs to the registered firm %(firm)s: invite this person from that firm's page if "
            "they act for it, and delete this sign-up."
        )
        % {"bin": firm.claimed_bin, "firm": holder}
    )


@transaction.atomic
def firm_user_invite(*, firm: Firm, email: str, base_url: str) -> User:
    """Create a portal user of the firm and email them a one-time link to set their password."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        # Someone invited before who never set a password gets a new link; anyone else is refused.
        invited_here = FirmMembership.objects.filter(user=user, firm=firm).exists()
        if not invited_here or user.has_usable_password():
            raise RegistryError(_("A user with this email already exists."))
    else:
        user = User.objects.create_user(username=email, email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        FirmMembership.objects.create(user=user, firm=firm)
    link = base_url.rstrip("/") + reverse(
        "accounts:invite", args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)]
    )
    send_mail(
        _("Your minereg account for %(firm)s") % {"firm": firm.name},
        _(
            "You have been invited to file for %(firm)s in minereg.\n\nSet your password here (the link works once):\n"
            "%(link)s\n\nThen log in with your email address, %(email)s, as the user name.\n"
        )
        % {"firm": firm.name, "link": link, "email": email},
        settings.DEFAULT_FROM_EMAIL,
        [email],
    )
    return user


def firm_profile_update(*, firm: Firm, address: str, email: str, phone: str, contact_person: str) -> Firm:
    """Change the contacts a firm may edit itself (never its BIN or name)."""
    firm.address, firm.email, firm.phone, firm.contact_person = address, email, phone, contact_person
    firm.save(update_fields=["address", "email", "phone", "contact_person", "updated_at"])
    return firm


@transaction.atomic
def owner_save(
    *, firm: Firm, full_name: str, iin: str, role: str, share_percent, is_pep: bool, ownership: Ownership | None = None
) -> Ownership:
    """Add or change a beneficial owner or director of a firm, as the firm files them.

    The name and PEP marker are the firm's filing, kept on its own ownership row: the firm is shown only
    that, never the registry's person nor what another firm filed. The person is linked by IIN (the
    regulator follows one person across firms); a filing makes a new person when no one has the IIN, and
    never changes a person already in the registry: where filings and the person differ, a regulator
    looks (the admin shows it).
    """
    person = _owner_person(iin=iin, full_name=full_name, is_pep=is_pep, current=ownership.person if ownership else None)
    duplicate = Ownership.objects.filter(firm=firm, person=person, role=role)
    if ownership is not None:
        duplicate = duplicate.exclude(pk=ownership.pk)
    if duplicate.exists():
        raise RegistryError(_("This person is already listed in this role."))
    if ownership is None:
        ownership = Ownership(firm=firm)
    ownership.person, ownership.role, ownership.share_percent = person, role, share_percent
    ownership.filed_full_name, ownership.filed_is_pep = full_name, is_pep
    ownership.save()
    # A firm files one name for one person: its row for them in their other role says the same.
    Ownership.objects.filter(firm=firm, person=person).exclude(pk=ownership.pk).exclude(
        filed_full_name=full_name, filed_is_pep=is_pep
    ).update(filed_full_name=full_name, filed_is_pep=is_pep)
    return ownership


def _owner_person(*, iin: str, full_name: str, is_pep: bool, current: Person | None) -> Person:
    """The registry's person a filing is about: the same while the IIN stays, else whoever has the IIN, else new."""
    if current is not None and current.iin == iin:
        return current
    if iin and (known := Person.objects.filter(iin=iin).order_by("pk").first()):
        return known
    values = {"full_name": full_name, "iin": iin, "is_pep": is_pep}
    if iin:
        try:
            with transaction.atomic():
                return Person.objects.create(person_id=f"IIN-{iin}", **values)
        except IntegrityError:
            # Another firm filed this IIN a moment ago (link to that person), or the id is an older person's.
            if known := Person.objects.filter(iin=iin).order_by("pk").first():
                return known
    return Person.objects.create(person_id=f"P-{uuid.uuid4().hex[:12]}", **values)
