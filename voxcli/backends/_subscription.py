"""The account's plan and usage: ``GET /v1/user/subscription`` (reference §3.9) as a value.

Only the fields voxcli uses are kept: the tier (its documented concurrency, see
`voxcli.backends.concurrency`), the status, and the credits used, allowed and left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from voxcli.backends._http import PermissionMissing
from voxcli.backends.concurrency import UNKNOWN_TIER_START, tier_concurrency
from voxcli.errors import ServiceError


@dataclass(frozen=True)
class Subscription:
    """What ``GET /v1/user/subscription`` says about the account."""

    tier: str
    """``free``, ``starter``, ``creator``, ``pro``, ... as the service names it."""
    status: str
    """``active``, ``trialing``, ``past_due``, ``free``, ..."""
    character_count: int
    """Credits used in this billing period."""
    character_limit: int
    """Credits the period includes."""
    next_reset_unix: int | None = None
    """When `character_count` starts over (Unix time), if the service says."""
    overage_limit: int | None = 0
    """Credits usage-based billing may add beyond `character_limit`: 0 = none (the default,
    and what a workspace without overages gets), `None` = no cap."""

    @property
    def remaining(self) -> int:
        """Credits left in the period, not counting overage."""
        return max(0, self.character_limit - self.character_count)

    @property
    def next_reset(self) -> datetime | None:
        """`next_reset_unix` as an aware UTC datetime."""
        if self.next_reset_unix is None:
            return None
        return datetime.fromtimestamp(self.next_reset_unix, UTC)

    @property
    def concurrency(self) -> int | None:
        """The tier's documented concurrent requests (`None`: an unknown tier)."""
        return tier_concurrency(self.tier)

    def to_json(self) -> dict[str, Any]:
        """A JSON object of the fields above (and the credits left)."""
        return {
            "tier": self.tier,
            "status": self.status,
            "character_count": self.character_count,
            "character_limit": self.character_limit,
            "remaining": self.remaining,
            "next_reset_unix": self.next_reset_unix,
            "overage_limit": self.overage_limit,
        }


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(
            f"reading the subscription: the answer has no whole number {key}",
            hint="check that --base-url points at the ElevenLabs API",
        )
    return value


def subscription_from_json(data: object) -> Subscription:
    """Read an ``ExtendedSubscriptionResponseModel`` (`ServiceError` if it is not one)."""
    if not isinstance(data, dict):
        raise ServiceError(
            "reading the subscription: the answer is not a JSON object",
            hint="check that --base-url points at the ElevenLabs API",
        )
    reset = data.get("next_character_count_reset_unix")
    extension = data.get("max_credit_limit_extension")
    overage: int | None = 0
    if data.get("can_extend_character_limit") is True:
        if extension == "unlimited":
            overage = None
        elif isinstance(extension, int) and not isinstance(extension, bool):
            overage = max(0, extension)
    return Subscription(
        tier=str(data.get("tier") or ""),
        status=str(data.get("status") or ""),
        character_count=_int(data, "character_count"),
        character_limit=_int(data, "character_limit"),
        next_reset_unix=reset if isinstance(reset, int) and not isinstance(reset, bool) else None,
        overage_limit=overage,
    )


def auto_start(read: Callable[[], Subscription], notice: Callable[[str], None]) -> int:
    """Where ``--jobs auto`` starts: the tier's documented concurrency from `read`.

    A key that may not read the subscription (``user_read``), a service that refuses the
    request, or a tier voxcli does not know starts at `UNKNOWN_TIER_START` (the first two with
    a `notice`). Not worth failing a conversion for: the headers of its answers say the same.
    """
    try:
        documented = read().concurrency
    except (PermissionMissing, ServiceError) as exc:
        notice(
            f"{exc.message}; starting with {UNKNOWN_TIER_START} requests at once and following "
            "the service's limits"
        )
        return UNKNOWN_TIER_START
    return documented or UNKNOWN_TIER_START
