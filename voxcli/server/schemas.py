"""JSON bodies of the server's successful answers (reference §3.3-3.9).

Each function returns plain JSON data shaped like the OpenAPI response model, with every field
the model requires, so strict clients (the official SDK's pydantic models) accept it.
"""

from __future__ import annotations

import time
from typing import Any

from voxcli.backends.base import Model, Voice

#: `VoiceResponseModel.category`'s enum.
CATEGORIES = ("generated", "cloned", "premade", "professional", "famous", "high_quality")
#: The local engine's categories, in the API's words: shipped voices are premade, users' are clones.
_CATEGORY_ALIASES = {"builtin": "premade", "user": "cloned"}

DEFAULT_SETTINGS: dict[str, Any] = {
    "stability": 0.5,
    "use_speaker_boost": True,
    "similarity_boost": 0.75,
    "style": 0.0,
    "speed": 1.0,
}


def api_category(category: str) -> str:
    """The API category for a backend's category (unknown ones pass through)."""
    return _CATEGORY_ALIASES.get(category, category or "generated")


def voice_json(voice: Voice) -> dict[str, Any]:
    """A `VoiceResponseModel`."""
    category = api_category(voice.category)
    return {
        "voice_id": voice.voice_id,
        "name": voice.name,
        "category": category,
        "labels": dict(voice.labels),
        "description": voice.description or None,
        "preview_url": None,
        "samples": None,
        "settings": dict(DEFAULT_SETTINGS),
        "available_for_tiers": [],
        "high_quality_base_model_ids": [],
        "verified_languages": [],
        "is_owner": category != "premade",
        "is_legacy": False,
        "is_mixed": False,
    }


def model_json(model: Model) -> dict[str, Any]:
    """A `ModelResponseModel` (all 17 fields are required)."""
    return {
        "model_id": model.model_id,
        "name": model.name,
        "description": model.description,
        "can_be_finetuned": False,
        "can_do_text_to_speech": not model.can_do_voice_conversion,
        "can_do_voice_conversion": model.can_do_voice_conversion,
        "can_use_style": True,
        "can_use_speaker_boost": True,
        "serves_pro_voices": False,
        "token_cost_factor": 1.0,
        "requires_alpha_access": False,
        "max_characters_request_free_user": 2500,
        "max_characters_request_subscribed_user": 10000,
        "maximum_text_length_per_request": 10000,
        "languages": [{"language_id": code, "name": code} for code in model.languages],
        "model_rates": {"character_cost_multiplier": 1.0, "cost_discount_multiplier": 1.0},
        "concurrency_group": "standard",
    }


#: What an unmetered server reports as its character limit (the field is a required integer).
UNMETERED_LIMIT = 1_000_000_000


def subscription_json(
    characters_used: int, *, tier: str = "local", character_limit: int | None = None
) -> dict[str, Any]:
    """An `ExtendedSubscriptionResponseModel` (`character_limit` `None`: unmetered)."""
    month = 30 * 24 * 3600
    return {
        "tier": tier,
        "status": "active",
        "character_count": characters_used,
        "character_limit": UNMETERED_LIMIT if character_limit is None else character_limit,
        "max_character_limit_extension": None,
        "max_credit_limit_extension": "unlimited",
        "can_extend_character_limit": False,
        "allowed_to_extend_character_limit": False,
        "next_character_count_reset_unix": int(time.time()) + month,
        "voice_slots_used": 0,
        "professional_voice_slots_used": 0,
        "professional_voice_slots_used_in_workspace": 0,
        "voice_limit": 1000,
        "voice_add_edit_counter": 0,
        "professional_voice_limit": 0,
        "can_extend_voice_limit": False,
        "can_use_instant_voice_cloning": True,
        "can_use_professional_voice_cloning": False,
        "currency": "usd",
        "billing_period": "monthly_period",
        "character_refresh_period": "monthly_period",
        "current_overage": {"amount": "0", "currency": "usd"},
        "open_invoices": [],
        "has_open_invoices": False,
    }
