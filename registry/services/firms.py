"""Firms and their portal users: sign-up, verification, invitations, profile."""

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from registry.errors import InvalidInput, RegistryError
from registry.models import Firm, FirmMembership, Ownership, Person

User = get_user_model()


def firm_sign_up_problems(*, bin: str) -> dict[str, str]:
    """What stops a firm signing up, field by field (empty when it may)."""
    if Firm.objects.filter(bin=bin).exists():
        return {"bin": _("A firm with this BIN is already registered: ask one of its users to invite you.")}
    return {}


@transaction.atomic
def firm_sign_up(
    *, bin: str, name: str, region: str, email: str, contact_person: str, phone: str, username: str, password: str
) -> User:
    """Register a new firm and its first user; the firm is pending until a regulator verifies it."""
    if problems := firm_sign_up_problems(bin=bin):
        raise InvalidInput(problems)
    firm = Firm.objects.create(
        bin=bin,
        name=name,
        region=region,
        email=email,
        contact_person=contact_person,
        phone=phone,
        verification=Firm.Verification.PENDING,
    )
    user = User.objects.create_user(username=username, email=email, password=password)
    FirmMembership.objects.create(user=user, firm=firm)
    return user


def firm_verify(*, firm: Firm) -> bool:
    """Let a signed-up firm file; return whether it was pending."""
    return bool(
        Firm.objects.filter(pk=firm.pk, verification=Firm.Verification.PENDING).update(
            verification=Firm.Verification.VERIFIED
        )
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
    """Add or change a beneficial owner or director of a firm.

    A person already in the registry (same IIN) is linked, not duplicated;
    their name and PEP marker change only if no other firm lists them, so one
    firm's entry never rewrites another's.
    """
    person = ownership.person if ownership else None
    if person is None and iin:
        person = Person.objects.filter(iin=iin).first()
    if person is None:
        person = Person(person_id=f"IIN-{iin}" if iin else f"P-{uuid.uuid4().hex[:12]}")
    shared = person.pk is not None and Ownership.objects.filter(person=person).exclude(firm=firm).exists()
    if not shared:
        person.full_name, person.iin, person.is_pep = full_name, iin, is_pep
        person.save()
    duplicate = Ownership.objects.filter(firm=firm, person=person, role=role)
    if ownership is not None:
        duplicate = duplicate.exclude(pk=ownership.pk)
    if duplicate.exists():
        raise RegistryError(_("This person is already listed in this role."))
    if ownership is None:
        ownership = Ownership(firm=firm, person=person)
    ownership.role, ownership.share_percent = role, share_percent
    ownership.save()
    return ownership
