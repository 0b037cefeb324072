"""One-time recovery codes: sign in with the second factor when the phone is lost.

A user with two-step sign-in holds a set of codes, each usable once. Only a keyed digest
of each code is stored (keyed with the site's secret, so the digests of these short codes
cannot be searched from a copy of the database alone). Making a new set replaces the old
one; making and using a code are both audited.
"""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import RecoveryCode
from audit.log import record_action

CODES_PER_SET = 10
# Without 0/o, 1/l/i: codes are read off paper. Ten characters from 31: about 50 bits.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10


def normalise(code: str) -> str:
    """Return the code as stored: lower case, without spaces or hyphens."""
    return "".join(code.split()).replace("-", "").lower()


def digest(user, code: str) -> str:
    value = f"{user.pk}:{normalise(code)}"
    return salted_hmac("accounts.recovery_code", value, algorithm="sha256").hexdigest()


def looks_like_a_code(text: str) -> bool:
    text = normalise(text)
    return len(text) == CODE_LENGTH and all(c in ALPHABET for c in text)


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def make_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with a new set; the plain codes exist only here."""
    codes = [_new_code() for _ in range(CODES_PER_SET)]
    with transaction.atomic():
        replaced = RecoveryCode.objects.filter(user=user).delete()[0]
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=digest(user, code)) for code in codes
        )
        record_action(
            user,
            action="make_recovery_codes",
            target=user,
            summary=f"{len(codes)} new recovery codes for user #{user.pk}",
            details={"replaced": replaced},
        )
    return codes


def use_recovery_code(user, code: str) -> bool:
    """Spend one unused code of the user's; return whether it was one."""
    if not looks_like_a_code(code):
        return False
    with transaction.atomic():
        stored = (
            RecoveryCode.objects.select_for_update()
            .filter(user=user, code_hash=digest(user, code), used_at__isnull=True)
            .first()
        )
        if stored is None:
            return False
        stored.used_at = timezone.now()
        stored.save(update_fields=["used_at"])
        record_action(
            user,
            action="use_recovery_code",
            target=stored,
            summary=f"recovery code used by user #{user.pk}; {unused_codes(user)} left",
        )
    return True


def unused_codes(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
