"""Voice prompts: the catalogue, the build, the library's lookups and the tests' recogniser."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from firmware.prompts import LANGUAGES, CatalogueError, load_catalogue, parse_catalogue
from firmware.prompts import build as prompt_build
from firmware.prompts.library import PromptLibrary, PromptMissing, check_recording
from tests.support.prompts import FRAME, RATE, heard_prompt, heard_sequence, read_wav

REQUIRED = [
    "not_allowed",
    "limit_reached",
    "lines_busy_offer",
    "lines_busy_queued",
    "lines_busy",
    "number_invalid",
    "no_such_number",
    "line_free_callback",
    "good_morning",
    "good_day",
    "good_evening",
    "welcome",
    "menu_default",
    "invalid_option",
    "queue_position",
    *(f"num_{n}" for n in range(1, 21)),
    "queue_still_waiting",
    "queue_callback_confirmed",
    "voicemail_greeting",
    "voicemail_enter_pin",
    "voicemail_wrong_pin",
    "voicemail_you_have",
    "voicemail_new_messages",
    "voicemail_menu",
    "voicemail_deleted",
    "voicemail_no_messages",
    "goodbye",
]
#: A few prompts are enough to test the build; ./build.sh renders them all.
SOME = ["lines_busy", "lines_busy_offer", "queue_position", "num_3", "num_13", "goodbye"]


def wav_format(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        return rate, wav.getnchannels(), wav.getsampwidth() * 8, wav.getnframes() / rate


def sox(*args: str | Path) -> None:
    subprocess.run(["sox", *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("prompts")
    prompt_build.build(outdir, names=SOME)
    return outdir


# The catalogue.
def test_every_prompt_has_text_in_every_language() -> None:
    catalogue = load_catalogue()
    assert not [name for name in REQUIRED if name not in catalogue]
    for name, texts in catalogue.items():
        assert sorted(texts) == sorted(LANGUAGES), name
        assert all(texts.values()), name
        assert re.search("[а-яё]", texts["ru"], re.IGNORECASE), f"{name}: ru is not Cyrillic"


def test_a_catalogue_entry_without_a_language_is_refused() -> None:
    with pytest.raises(CatalogueError, match=r"\[welcome\]: no text for de"):
        parse_catalogue('[welcome]\nru = "Добро пожаловать."\nen = "Welcome."\n')
    with pytest.raises(CatalogueError, match=r"unknown \['fr'\]"):
        parse_catalogue('[bye]\nru = "a"\nde = "b"\nen = "c"\nfr = "d"\n')


# The build.
def test_the_build_renders_telephone_wavs_of_plausible_length(built: Path) -> None:
    catalogue = load_catalogue()
    for lang in LANGUAGES:
        for name in SOME:
            path = built / lang / f"{name}.wav"
            rate, channels, bits, seconds = wav_format(path)
            assert (rate, channels, bits) == (8000, 1, 16), path
            assert check_recording(path) is None
            # Speech runs at roughly 10 to 25 characters a second, plus the pauses around it.
            chars = len(catalogue[name][lang])
            assert 0.3 < seconds < chars / 8 + 0.6, (path, seconds)
            assert seconds > chars / 30, (path, seconds)


def test_a_second_build_renders_only_what_changed(built: Path) -> None:
    stamps = {p: p.stat().st_mtime_ns for p in built.rglob("*.wav")}
    assert prompt_build.build(built, names=SOME) == []
    assert {p: p.stat().st_mtime_ns for p in built.rglob("*.wav")} == stamps

    (built / "de" / "goodbye.wav").unlink()
    manifest = prompt_build._read_manifest(built / prompt_build.MANIFEST)
    manifest["ru/num_3"] = "the text was different"
    prompt_build._write_manifest(built / prompt_build.MANIFEST, manifest)
    assert sorted(prompt_build.build(built, names=SOME)) == ["de/goodbye", "ru/num_3"]


def test_the_build_says_what_is_missing_without_espeak_and_sox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert prompt_build.main([str(tmp_path / "out"), "--name", "goodbye"]) == 1
    assert "espeak-ng and sox not found" in capsys.readouterr().err


# The library.
def test_an_installer_recording_wins_over_the_built_prompt(built: Path, tmp_path: Path) -> None:
    custom = tmp_path / "custom-prompts"
    (custom / "ru").mkdir(parents=True)
    own = custom / "ru" / "goodbye.wav"
    sox(built / "en" / "goodbye.wav", own)
    library = PromptLibrary(built, custom)
    assert library.path("goodbye", "ru") == own
    assert library.path("goodbye", "de") == built / "de" / "goodbye.wav"
    assert library.problems() == []


def test_a_missing_prompt_is_reported_with_where_it_was_looked_for(
    built: Path, tmp_path: Path
) -> None:
    library = PromptLibrary(built, tmp_path / "custom")
    with pytest.raises(PromptMissing) as caught:
        library.path("welcome", "de")
    message = str(caught.value)
    assert "'welcome' in de" in message
    assert str(tmp_path / "custom" / "de" / "welcome.wav") in message
    assert str(built / "de" / "welcome.wav") in message
    assert library.missing(["goodbye", "welcome", "num_3", "menu_default"], "de") == [
        "welcome",
        "menu_default",
    ]
    unbuilt = PromptLibrary(tmp_path / "nothing-built")
    with pytest.raises(PromptMissing, match=r"not built \(./build.sh builds them\)"):
        unbuilt.path("goodbye", "en")


def test_a_stereo_cd_quality_recording_is_refused_with_the_fix(built: Path, tmp_path: Path) -> None:
    custom = tmp_path / "custom-prompts"
    (custom / "en").mkdir(parents=True)
    studio = custom / "en" / "goodbye.wav"
    sox(built / "en" / "goodbye.wav", "-r", "44100", "-c", "2", studio)
    problem = check_recording(studio)
    assert problem is not None
    assert "stereo, 44.1 kHz" in problem
    assert f"convert with: sox {studio} -r 8000 -c 1 -b 16" in problem

    library = PromptLibrary(built, custom)
    assert library.path("goodbye", "en") == built / "en" / "goodbye.wav"  # not silence
    assert library.problems() == [problem]


def test_check_recording_names_what_the_engine_cannot_play(built: Path, tmp_path: Path) -> None:
    source = built / "en" / "goodbye.wav"
    alaw, deep, fake = tmp_path / "alaw.wav", tmp_path / "deep.wav", tmp_path / "fake.wav"
    sox(source, "-e", "a-law", alaw)
    sox(source, "-b", "24", deep)
    fake.write_bytes(b"ID3\x04" + bytes(200))
    assert check_recording(alaw) is None  # G.711 WAVs are what pjmedia plays natively
    assert "24-bit WAVE_FORMAT_EXTENSIBLE" in str(check_recording(deep))
    assert "not a WAV file" in str(check_recording(fake))


def test_files_the_library_will_never_play_are_reported(built: Path, tmp_path: Path) -> None:
    custom = tmp_path / "custom-prompts"
    (custom / "ru").mkdir(parents=True)
    (custom / "fr").mkdir()
    sox(built / "ru" / "goodbye.wav", custom / "ru" / "Goodbye.wav")
    problems = PromptLibrary(built, custom).problems()
    assert any("fr: ignored: not a language" in p for p in problems)
    assert any("Goodbye.wav: ignored: a prompt file is <name>.wav" in p for p in problems)


# Recognising a prompt in what a phone heard.
def through_alaw(path: Path, tmp_path: Path) -> np.ndarray:
    """The prompt as a phone hears it over G.711 A-law: encoded, then decoded again."""
    coded, decoded = tmp_path / f"{path.stem}.alaw.wav", tmp_path / f"{path.stem}.pcm.wav"
    sox(path, "-e", "a-law", coded)
    sox(coded, "-e", "signed-integer", "-b", "16", decoded)
    return read_wav(decoded)


def call_audio(*parts: np.ndarray) -> np.ndarray:
    """A recording: line noise around and between what was heard."""
    rng = np.random.default_rng(7)
    hiss = [rng.normal(0, 10 ** (-60 / 20), round(0.4 * RATE))]
    return np.concatenate([x for part in parts for x in (part, *hiss)])


def tone(freq: float, seconds: float) -> np.ndarray:
    return 0.3 * np.sin(2 * np.pi * freq * np.arange(round(seconds * RATE)) / RATE)


def test_a_prompt_is_recognised_after_g711(built: Path, tmp_path: Path) -> None:
    for lang in LANGUAGES:
        heard = call_audio(tone(425, 1.0), through_alaw(built / lang / "lines_busy.wav", tmp_path))
        assert heard_prompt(heard, built / lang / "lines_busy.wav"), lang
        # The same opening words, then something else: not the prompt that was heard.
        assert not heard_prompt(heard, built / lang / "lines_busy_offer.wav"), lang
        assert not heard_prompt(heard, built / lang / "goodbye.wav"), lang


def test_a_prompt_is_told_from_its_neighbours(built: Path, tmp_path: Path) -> None:
    offer = built / "en" / "lines_busy_offer.wav"
    heard = call_audio(through_alaw(offer, tmp_path))
    assert heard_prompt(heard, offer)
    assert not heard_prompt(heard, built / "en" / "lines_busy.wav")
    three = call_audio(through_alaw(built / "ru" / "num_3.wav", tmp_path))
    assert heard_prompt(three, built / "ru" / "num_3.wav")
    assert not heard_prompt(three, built / "ru" / "num_13.wav")
    thirteen = call_audio(through_alaw(built / "en" / "num_13.wav", tmp_path))
    assert not heard_prompt(thirteen, built / "en" / "num_3.wav")


def test_tones_silence_and_half_a_prompt_are_not_a_prompt(built: Path, tmp_path: Path) -> None:
    prompt = built / "de" / "lines_busy_offer.wav"
    for sound in (tone(425, 8), tone(1000, 8), np.zeros(8 * RATE), call_audio(tone(700, 3))):
        assert not heard_prompt(sound, prompt)
    whole = through_alaw(prompt, tmp_path)
    assert not heard_prompt(call_audio(whole[: len(whole) // 2]), prompt)


def test_frames_lost_or_repeated_by_a_jitter_buffer_are_forgiven(
    built: Path, tmp_path: Path
) -> None:
    for name in ("queue_position", "lines_busy_offer"):
        heard = through_alaw(built / "en" / f"{name}.wav", tmp_path)
        third = len(heard) // FRAME // 3 * FRAME
        lost = np.concatenate([heard[:third], heard[third + FRAME :]])
        repeated = np.concatenate([heard[: 2 * third], heard[2 * third - FRAME :]])
        assert heard_prompt(call_audio(lost), built / "en" / f"{name}.wav")
        assert heard_prompt(call_audio(repeated), built / "en" / f"{name}.wav")


def test_prompts_in_a_row_are_recognised_in_their_order(built: Path, tmp_path: Path) -> None:
    en = built / "en"
    caller_number = through_alaw(en / "queue_position.wav", tmp_path)
    three = through_alaw(en / "num_3.wav", tmp_path)
    turn = np.zeros(round(0.04 * RATE))  # the player's turn from one file to the next
    heard = call_audio(np.concatenate([caller_number, turn, three]))
    assert heard_sequence(heard, [en / "queue_position.wav", en / "num_3.wav"])
    assert not heard_sequence(heard, [en / "queue_position.wav", en / "num_13.wav"])
    assert not heard_sequence(heard, [en / "num_3.wav", en / "queue_position.wav"])
    # A "three" heard somewhere else does not make "you are caller number three".
    apart = call_audio(caller_number, tone(425, 1.0), three)
    assert not heard_sequence(apart, [en / "queue_position.wav", en / "num_3.wav"])
