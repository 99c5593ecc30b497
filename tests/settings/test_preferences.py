"""The settings file: defaults, hand edits reported by field, never overwritten silently."""

from __future__ import annotations

import json

import pytest

from chatkit_desktop.settings.preferences import (
    Preferences,
    PreferencesFile,
    SettingsError,
    load_preferences,
    merge,
    save_preferences,
)


def test_no_file_means_defaults(tmp_path):
    prefs = load_preferences(tmp_path / "settings.json")
    assert prefs == Preferences()
    assert prefs.provider == "openai"
    assert prefs.tracing is False
    assert prefs.interface == "chatkit"


def test_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "settings.json"
    prefs = Preferences.model_validate(
        {
            "provider": "openai-compatible",
            "providers": {
                "openai-compatible": {"model": "qwen2.5", "base_url": "http://localhost:1234/v1"}
            },
            "theme": "dark",
            "interface": "builtin",
            "tracing": True,
            "chatkit_domain_key": "domain_pk_123",
        }
    )
    save_preferences(path, prefs)
    assert load_preferences(path) == prefs
    assert list(tmp_path.iterdir()) == [path], "no temporary file is left behind"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"provider": "claude"}', ["'provider'", "openai", "gemini"]),
        ('{"theme": "purple"}', ["'theme'"]),
        ('{"interface": "react"}', ["'interface'", "chatkit", "builtin"]),
        (
            '{"providers": {"gemini": {"base_url": "ftp://x"}}}',
            ["providers.gemini.base_url", "http"],
        ),
        ('{"tracing": "sometimes"}', ["'tracing'"]),
        ('{"colour": "blue"}', ["'colour'", "not a setting"]),
        ('{"provider": "openai",}', ["not valid JSON", "line 1"]),
        ("[1, 2]", ["JSON object"]),
    ],
)
def test_a_bad_hand_edit_names_the_field_and_the_file_is_left_alone(tmp_path, content, words):
    path = tmp_path / "settings.json"
    path.write_text(content)
    with pytest.raises(SettingsError) as caught:
        load_preferences(path)
    message = str(caught.value)
    for word in words:
        assert word in message
    assert str(path) in message
    assert path.read_text() == content

    loaded = PreferencesFile.load(path)
    assert loaded.error == message
    assert loaded.get() == Preferences()
    assert path.read_text() == content, "loading never rewrites the user's file"


def test_an_explicit_save_replaces_a_broken_file(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{broken")
    prefs_file = PreferencesFile.load(path)
    assert prefs_file.error
    prefs_file.update({"theme": "light"})
    assert prefs_file.error is None
    assert json.loads(path.read_text())["theme"] == "light"


def test_partial_updates_merge_per_provider():
    prefs = Preferences.model_validate({"providers": {"gemini": {"model": "gemini-2.5-pro"}}})
    updated = merge(
        prefs, {"providers": {"gemini": {"base_url": "http://127.0.0.1:9/v1"}}, "tracing": True}
    )
    assert updated.providers["gemini"].model == "gemini-2.5-pro"
    assert updated.providers["gemini"].base_url == "http://127.0.0.1:9/v1"
    assert updated.tracing is True
    with pytest.raises(SettingsError, match="'provider'"):
        merge(prefs, {"provider": "nope"})
