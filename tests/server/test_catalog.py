"""`ApiServer`'s voice, model, settings, voice-cloning and subscription endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import VOICE_ID, flac_bytes, tone
from tests.support.transform_backend import DEFAULT_VOICES, TransformBackend, many_voices
from voxcli.backends.base import Voice
from voxcli.server import ApiServer

REQUIRED_VOICE_FIELDS = {
    "voice_id",
    "name",
    "category",
    "labels",
    "available_for_tiers",
    "high_quality_base_model_ids",
}
MODEL_FIELDS = {
    "model_id",
    "name",
    "description",
    "can_be_finetuned",
    "can_do_text_to_speech",
    "can_do_voice_conversion",
    "can_use_style",
    "can_use_speaker_boost",
    "serves_pro_voices",
    "requires_alpha_access",
    "token_cost_factor",
    "max_characters_request_free_user",
    "max_characters_request_subscribed_user",
    "maximum_text_length_per_request",
    "languages",
    "model_rates",
    "concurrency_group",
}


@pytest.fixture
def backend() -> TransformBackend:
    return TransformBackend()


@pytest.fixture
def client(backend: TransformBackend) -> Iterator[httpx.Client]:
    with ApiServer(backend) as server, httpx.Client(base_url=server.url) as client:
        yield client


def test_v1_voices_lists_every_voice(client: httpx.Client) -> None:
    voices = client.get("/v1/voices").json()["voices"]
    assert [v["voice_id"] for v in voices] == [v.voice_id for v in DEFAULT_VOICES]
    assert all(REQUIRED_VOICE_FIELDS <= set(v) for v in voices)
    rachel = voices[0]
    assert (rachel["name"], rachel["category"]) == ("Rachel", "premade")
    assert rachel["labels"]["accent"] == "american"


def test_v2_voices_paginates_with_tokens() -> None:
    with ApiServer(TransformBackend(voices=many_voices(25))) as server:
        seen: list[str] = []
        params: dict[str, str] = {"page_size": "10"}
        pages = []
        while True:
            page = httpx.get(server.url + "/v2/voices", params=params).json()
            pages.append(page)
            seen += [v["voice_id"] for v in page["voices"]]
            if not page["has_more"]:
                break
            params["next_page_token"] = page["next_page_token"]
    assert [len(p["voices"]) for p in pages] == [10, 10, 5]
    assert [p["total_count"] for p in pages] == [25, 25, 25]
    assert pages[-1]["next_page_token"] is None
    assert seen == [v.voice_id for v in many_voices(25)]


def test_v2_voices_defaults_to_ten_per_page() -> None:
    with ApiServer(TransformBackend(voices=many_voices(12))) as server:
        page = httpx.get(server.url + "/v2/voices").json()
    assert (len(page["voices"]), page["has_more"], page["next_page_token"]) == (10, True, "10")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "ALEX"}, ["AlexClonedVoice00001", "AlexGeneratedVoice01"]),
        ({"search": "british"}, ["AlexClonedVoice00001"]),  # labels are searched
        ({"search": "calm"}, [VOICE_ID]),  # descriptions too
        ({"category": "premade"}, [VOICE_ID, "pNInz6obpgDQGcFmaJgB"]),
        ({"voice_type": "personal"}, ["AlexClonedVoice00001", "AlexGeneratedVoice01"]),
    ],
)
def test_v2_voices_filters(
    client: httpx.Client, params: dict[str, str], expected: list[str]
) -> None:
    page = client.get("/v2/voices", params=params).json()
    assert [v["voice_id"] for v in page["voices"]] == expected
    assert page["total_count"] == len(expected)


def test_v2_voices_sorted_by_name(client: httpx.Client) -> None:
    page = client.get("/v2/voices", params={"sort": "name", "sort_direction": "desc"}).json()
    assert [v["name"] for v in page["voices"]] == ["Rachel", "alex", "Alex", "Adam"]


def test_v2_voices_by_repeated_voice_ids(client: httpx.Client) -> None:
    query = f"voice_ids={VOICE_ID}&voice_ids=pNInz6obpgDQGcFmaJgB"
    page = client.get(f"/v2/voices?{query}").json()
    assert [v["voice_id"] for v in page["voices"]] == [VOICE_ID, "pNInz6obpgDQGcFmaJgB"]


@pytest.mark.parametrize(
    "params", [{"page_size": "101"}, {"page_size": "0"}, {"next_page_token": "abc"}]
)
def test_v2_voices_rejects_bad_paging(client: httpx.Client, params: dict[str, str]) -> None:
    response = client.get("/v2/voices", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_one_voice_and_its_settings(client: httpx.Client) -> None:
    voice = client.get(f"/v1/voices/{VOICE_ID}").json()
    assert (voice["voice_id"], voice["name"]) == (VOICE_ID, "Rachel")
    settings = client.get(f"/v1/voices/{VOICE_ID}/settings").json()
    assert settings == client.get("/v1/voices/settings/default").json()
    assert settings["stability"] == 0.5 and settings["similarity_boost"] == 0.75
    missing = client.get("/v1/voices/NoSuchVoice")
    assert missing.status_code == 404
    assert missing.json()["detail"]["code"] == "voice_not_found"
    assert client.get("/v1/voices/NoSuchVoice/settings").status_code == 404


def test_models_have_all_seventeen_fields(client: httpx.Client) -> None:
    models = client.get("/v1/models").json()
    assert isinstance(models, list)
    assert all(set(m) == MODEL_FIELDS for m in models)
    by_id = {m["model_id"]: m for m in models}
    assert by_id["eleven_multilingual_sts_v2"]["can_do_voice_conversion"] is True
    assert by_id["eleven_english_sts_v2"]["can_do_voice_conversion"] is True
    assert by_id["eleven_multilingual_v2"]["can_do_voice_conversion"] is False
    assert by_id["eleven_multilingual_sts_v2"]["languages"][1] == {
        "language_id": "de",
        "name": "de",
    }


def test_subscription_counts_converted_characters(client: httpx.Client) -> None:
    before = client.get("/v1/user/subscription").json()
    assert before["character_count"] == 0 and before["status"] == "active"
    files = {"audio": ("a.wav", flac_bytes(tone(1.0)), "audio/flac")}
    assert client.post(f"/v1/voice-changer/{VOICE_ID}", files=files).is_success
    assert client.get("/v1/user/subscription").json()["character_count"] == 17


def test_add_voice_with_repeated_files_and_null_labels(
    client: httpx.Client, backend: TransformBackend
) -> None:
    files = [("files", (f"s{i}.flac", flac_bytes(tone(0.3)), "audio/flac")) for i in range(2)]
    response = client.post(
        "/v1/voices/add",
        files=files,
        data={"name": "My voice", "labels": "null", "description": "from tests"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["requires_verification"] is False
    added = {v.voice_id: v for v in backend.voices()}[body["voice_id"]]
    assert (added.name, added.description, dict(added.labels)) == ("My voice", "from tests", {})
    listed = client.get(f"/v1/voices/{body['voice_id']}").json()
    assert listed["category"] == "cloned"


def test_add_voice_with_json_labels(client: httpx.Client, backend: TransformBackend) -> None:
    files = {"files": ("s.flac", flac_bytes(tone(0.3)), "audio/flac")}
    response = client.post(
        "/v1/voices/add", files=files, data={"name": "V", "labels": '{"accent": "irish"}'}
    )
    voice = {v.voice_id: v for v in backend.voices()}[response.json()["voice_id"]]
    assert dict(voice.labels) == {"accent": "irish"}


@pytest.mark.parametrize(
    ("data", "with_files", "locs"),
    [
        ({}, False, [["body", "name"], ["body", "files"]]),
        ({"name": "V", "labels": "{oops"}, True, [["body", "labels"]]),
        ({"name": "V", "labels": '{"age": 3}'}, True, [["body", "labels"]]),
    ],
)
def test_add_voice_validation(
    client: httpx.Client, data: dict[str, str], with_files: bool, locs: list[list[str]]
) -> None:
    files = {"files" if with_files else "other": ("s.flac", flac_bytes(tone(0.1)), "audio/flac")}
    response = client.post("/v1/voices/add", files=files, data=data)
    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == locs


def test_add_voice_with_samples_that_are_not_audio_is_400(client: httpx.Client) -> None:
    files = {"files": ("notes.txt", b"just text", "text/plain")}
    response = client.post("/v1/voices/add", files=files, data={"name": "V"})
    assert response.status_code == 400
    assert "decode" in response.json()["detail"]["message"]


def test_delete_voice(client: httpx.Client, backend: TransformBackend) -> None:
    assert client.delete(f"/v1/voices/{VOICE_ID}").json() == {"status": "ok"}
    assert VOICE_ID not in {v.voice_id for v in backend.voices()}
    assert client.delete(f"/v1/voices/{VOICE_ID}").status_code == 404


class FixedVoices(TransformBackend):
    """A backend that cannot remove voices (the `Backend` default)."""

    def remove_voice(self, voice_id: str) -> None:
        super(TransformBackend, self).remove_voice(voice_id)


def test_delete_on_a_backend_that_cannot_remove_is_400() -> None:
    with ApiServer(FixedVoices()) as server:
        response = httpx.delete(f"{server.url}/v1/voices/{VOICE_ID}")
    assert response.status_code == 400
    assert "cannot remove voices" in response.json()["detail"]["message"]


def test_local_categories_are_shown_in_the_api_words() -> None:
    voices = [
        Voice("builtinVoice00000001", "B", "builtin"),
        Voice("userVoice00000000001", "U", "user"),
    ]
    with ApiServer(TransformBackend(voices=voices)) as server:
        listed = httpx.get(server.url + "/v2/voices", params={"category": "cloned"}).json()
    assert [(v["name"], v["category"]) for v in listed["voices"]] == [("U", "cloned")]
