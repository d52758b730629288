"""Generates the kiosk's voice packs (called by scripts/make-voice, which prepares the
pinned inputs and passes their paths). Mandarin is read by misaki (with the fixes of
assets/voice/overrides.toml), English by espeak-ng mapped to Kokoro's phoneme set. One pack per language and speaker:
assets/voice/<lang>/<speaker>/manifest.toml + <key>.ogg, the format in docs/voice-pack.md.

Every step is deterministic for the pinned inputs: ONNX Runtime on one thread, Vorbis at a
fixed quality, a fixed Ogg stream serial number. Running it twice gives the same bytes.
"""

import argparse
import hashlib
import io
import json
import pathlib
import re
import struct
import subprocess
import sys
import tomllib

import numpy as np
import onnxruntime as ort
import pyloudnorm
import soundfile

# Keys of the catalogue the screens show but the voice never says (Prompt::key() covers
# the rest; src/ui/voice_pack/catalogue.rs checks both lists agree).
SCREEN_ONLY = ("detail.", "button.", "clerk.", "state.", "notice.", "language.", "sync.", "channel.",
               "assist.", "paper.", "receipt.")
RATE = 24_000
TARGET_LUFS = -18.0  # speech at a comfortable level; every clip peaks below -1 dBFS here
PEAK_CEILING = 10 ** (-1.0 / 20)  # -1 dBFS sample peak after normalisation
SPEED = 0.85  # slower than the voice's natural pace, for elderly listeners
VORBIS_QUALITY = 0.6  # ~96 kbit/s at 24 kHz mono: transparent for speech
OGG_SERIAL = 0x63657274  # "cert": libsndfile picks a random one, which breaks reproducibility

# The neural packs: (language, speaker, Kokoro voice, phonemizer).
KOKORO_PACKS = [
    ("zh-CN", "female", "zf_xiaoxiao", "misaki-zh"),
    ("zh-CN", "male", "zm_yunjian", "misaki-zh"),
    ("en", "female", "af_heart", "espeak-en-us"),
    ("en", "male", "am_michael", "espeak-en-us"),
]
# espeak-ng voices for a language with no neural voice: (language, speaker, espeak voice,
# words per minute), e.g. ("xx", "male", "xx", "140"). Empty: every shipped language has one.
ESPEAK_PACKS = []


def prompt_texts(lang):
    texts = tomllib.loads(pathlib.Path(f"assets/i18n/{lang}.toml").read_text(encoding="utf-8"))
    return {k: v for k, v in sorted(texts.items()) if not k.startswith(SCREEN_ONLY)}


def trim(audio, rel_db=-40.0, pad_s=0.08):
    """Cuts leading/trailing silence: 10 ms frames quieter than rel_db below the loudest
    frame, keeping pad_s of margin so the first consonant is never clipped."""
    frame = RATE // 100
    n = len(audio) // frame
    if n == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    loud = np.where(20 * np.log10(rms / rms.max()) > rel_db)[0]
    pad = int(pad_s * RATE)
    a = max(0, loud[0] * frame - pad)
    b = min(len(audio), (loud[-1] + 1) * frame + pad)
    out = audio[a:b].copy()
    # 5 ms fades so the cut never clicks.
    f = min(len(out) // 2, RATE // 200)
    ramp = np.linspace(0.0, 1.0, f, dtype=np.float32)
    out[:f] *= ramp
    out[len(out) - f :] *= ramp[::-1]
    return out


def limit(audio, ceiling):
    """Brings the few peaks above `ceiling` down with a smooth gain dip (10 ms look-ahead
    and release) instead of clipping them: speech has a high crest factor, and scaling
    the whole clip for one plosive would leave it quieter than the rest."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d
    radius = RATE // 100
    need = np.minimum(1.0, ceiling / np.maximum(np.abs(audio), 1e-9))
    gain = uniform_filter1d(minimum_filter1d(need, size=2 * radius + 1), size=radius)
    return (audio * gain).astype(np.float32)


def normalise(audio, meter):
    """To TARGET_LUFS with sample peaks under PEAK_CEILING: gain, then limit the peaks
    and make up the loudness they took, until both hold."""
    out = audio.astype(np.float32)
    for _ in range(6):
        loudness = meter.integrated_loudness(out.astype(np.float64))
        out = (out * 10 ** ((TARGET_LUFS - loudness) / 20)).astype(np.float32)
        if np.abs(out).max() <= PEAK_CEILING:
            return out
        out = limit(out, PEAK_CEILING * 0.98)
    return (out * min(1.0, PEAK_CEILING / np.abs(out).max())).astype(np.float32)


def ogg_crc(data):
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def fix_serial(ogg):
    """Rewrites every page's stream serial number to OGG_SERIAL and its CRC."""
    out = bytearray(ogg)
    pos = 0
    while pos < len(out):
        assert out[pos : pos + 4] == b"OggS", "not an Ogg page"
        nseg = out[pos + 26]
        size = 27 + nseg + sum(out[pos + 27 : pos + 27 + nseg])
        struct.pack_into("<I", out, pos + 14, OGG_SERIAL)
        struct.pack_into("<I", out, pos + 22, 0)
        struct.pack_into("<I", out, pos + 22, ogg_crc(bytes(out[pos : pos + size])))
        pos += size
    return bytes(out)


def encode(audio):
    buf = io.BytesIO()
    buf.name = "clip.ogg"
    soundfile.write(buf, audio, RATE, format="OGG", subtype="VORBIS",
                    compression_level=1.0 - VORBIS_QUALITY)
    return fix_serial(buf.getvalue())


def write_pack(out, lang, speaker, voice, source, clips, meter):
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    lines = [
        "# Written by scripts/make-voice; the format is docs/voice-pack.md.",
        "format = 1",
        f'language = "{lang}"',
        f'speaker = "{speaker}"',
        f'voice = "{voice}"',
        f'source = "{source}"',
        'licence = "Apache-2.0"',
        f"sample_rate = {RATE}",
        f"loudness_lufs = {TARGET_LUFS:.1f}",
        "",
        "[clips]",
    ]
    for key, audio in clips.items():
        data = encode(audio)
        # Measure what the kiosk will play (the decoded Vorbis), not the input.
        decoded, _ = soundfile.read(io.BytesIO(data), dtype="float64")
        measured = meter.integrated_loudness(decoded)
        if abs(measured - TARGET_LUFS) > 0.5:
            print(f"  note: {key} measures {measured:.1f} LUFS after encoding")
        name = f"{key}.ogg"
        (out / name).write_bytes(data)
        lines.append(f'"{key}" = {{ file = "{name}", sha256 = "{hashlib.sha256(data).hexdigest()}" }}')
    (out / "manifest.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out}: {len(clips)} clips")


class Kokoro:
    def __init__(self, model, vocab, voices_dir):
        opts = ort.SessionOptions()
        # One thread: reproducible sums, and the machine is shared.
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model), sess_options=opts,
                                            providers=["CPUExecutionProvider"])
        self.vocab = json.loads(pathlib.Path(vocab).read_text(encoding="utf-8"))["vocab"]
        self.voices_dir = pathlib.Path(voices_dir)

    def style(self, voice):
        rows = np.fromfile(self.voices_dir / f"{voice}.bin", dtype="<f4")
        return rows.reshape(-1, 256)

    def tokens(self, phonemes):
        unknown = sorted({c for c in phonemes if c not in self.vocab})
        if unknown:
            raise SystemExit(f"phonemes {phonemes!r}: characters not in the model's vocabulary: {unknown}")
        return [self.vocab[c] for c in phonemes]

    def speak(self, phonemes, style):
        tokens = self.tokens(phonemes)
        ref = style[min(len(tokens), len(style)) - 1]
        audio = self.session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": ref.reshape(1, 256).astype(np.float32),
            "speed": np.array([SPEED], dtype=np.float32),
        })[0]
        return np.asarray(audio, np.float32).ravel()


# espeak-ng's IPA → Kokoro's American English phoneme set: the table and rules of misaki
# 0.9.4's EspeakFallback (misaki/espeak.py, Apache-2.0), which Kokoro itself uses for words
# outside its dictionary. misaki's full English front end needs spaCy models that no
# reachable registry ships; espeak-ng's reading, mapped this way, is what remains.
E2M = sorted({
    "ʔˌn\u0329": "ʔn", "ʔn\u0329": "ʔn", "a^ɪ": "I", "a^ʊ": "W", "d^ʒ": "ʤ", "e^ɪ": "A",
    "e": "A", "t^ʃ": "ʧ", "ɔ^ɪ": "Y", "ə^l": "ᵊl", "ʲo": "jo", "ʲə": "jə", "ʲ": "", "ɚ": "əɹ",
    "r": "ɹ", "x": "k", "ç": "k", "ɐ": "ə", "ɬ": "l", "\u0303": "",
}.items(), key=lambda kv: -len(kv[0]))


def espeak_en_us(text):
    """American English phonemes, clause by clause so the punctuation (which Kokoro uses
    for phrasing) survives espeak-ng."""
    out = []
    for part, punct in re.findall(r"([^,.:;!?]+)([,.:;!?]?)", text):
        if not part.strip():
            continue
        ps = subprocess.run(["espeak-ng", "-q", "--ipa", "--tie=^", "-v", "en-us", part.strip()],
                            check=True, capture_output=True, text=True).stdout
        ps = " ".join(ps.split())
        for old, new in E2M:
            ps = ps.replace(old, new)
        ps = re.sub(r"(\S)\u0329", r"ᵊ\1", ps).replace(chr(809), "")
        ps = ps.replace("o^ʊ", "O").replace("ɜːɹ", "ɜɹ").replace("ɜː", "ɜɹ").replace("ɪə", "iə")
        ps = ps.replace("ː", "").replace("o", "ɔ").replace("ɾ", "T").replace("ʔ", "t")
        out.append(ps.replace("^", "") + punct)
    return " ".join(out)


def phonemizer(name):
    if name == "misaki-zh":
        from misaki import zh
        g2p = zh.ZHG2P()
        return lambda text: (lambda r: r if isinstance(r, str) else r[0])(g2p(text))
    if name == "espeak-en-us":
        return espeak_en_us
    raise SystemExit(f"unknown phonemizer {name}")


def phonemes_for(lang, texts, overrides, g2p):
    """The phonemes of every prompt: the override where one is listed (checked against the
    catalogue text, so a reworded prompt cannot keep a stale reading), else the
    phonemizer's."""
    mine = overrides.get(lang, {})
    for key, o in mine.items():
        if key not in texts:
            raise SystemExit(f"assets/voice/overrides.toml: [{lang}.\"{key}\"] is not a spoken prompt key; remove it")
        if o["text"] != texts[key]:
            raise SystemExit(
                f"assets/voice/overrides.toml: [{lang}.\"{key}\"] was written for {o['text']!r} but the "
                f"catalogue now says {texts[key]!r}; read the new text's phonemes (--phonemes) and update or remove the override")
    out = {}
    for key, text in texts.items():
        auto = g2p(text)
        out[key] = (mine[key]["phonemes"] if key in mine else auto, auto)
    return out


def espeak_clip(text, voice, wpm):
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", wpm, "--stdout", text],
                         check=True, capture_output=True).stdout
    audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    # espeak speaks at 22.05 kHz; resample to the pack rate by linear interpolation (its
    # voice has nothing above 5 kHz, so nothing is lost).
    t = np.arange(int(len(audio) * RATE / rate)) * rate / RATE
    return np.interp(t, np.arange(len(audio)), audio).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--voices", required=True, help="kokoro-js voices/ directory")
    ap.add_argument("--espeak-version", required=True)
    ap.add_argument("--phonemes", action="store_true",
                    help="print each prompt's phonemes (automatic and used) and stop")
    args = ap.parse_args()

    overrides = tomllib.loads(pathlib.Path("assets/voice/overrides.toml").read_text(encoding="utf-8"))
    readings = {}  # (language, phonemizer) → {key: (phonemes, automatic)}
    for lang, _, _, g2p in KOKORO_PACKS:
        if (lang, g2p) not in readings:
            readings[(lang, g2p)] = phonemes_for(lang, prompt_texts(lang), overrides, phonemizer(g2p))
    if args.phonemes:
        for (lang, _), phonemes in readings.items():
            texts = prompt_texts(lang)
            for key, (used, auto) in phonemes.items():
                mark = "override" if used != auto else "auto"
                print(f"{lang}\t{key}\t{texts[key]}\t{mark}\t{used}" + (f"\t(automatic: {auto})" if used != auto else ""))
        return

    meter = pyloudnorm.Meter(RATE)
    kokoro = Kokoro(args.model, args.vocab, args.voices)
    for lang, speaker, voice, g2p in KOKORO_PACKS:
        style = kokoro.style(voice)
        clips = {}
        for key, (phonemes, _) in readings[(lang, g2p)].items():
            clips[key] = normalise(trim(kokoro.speak(phonemes, style)), meter)
        reader = {"misaki-zh": "misaki 0.9.4", "espeak-en-us": f"{args.espeak_version} en-us"}[g2p]
        write_pack(pathlib.Path(f"assets/voice/{lang}/{speaker}"), lang, speaker,
                   f"Kokoro-82M v1.0 int8, voice {voice}, speed {SPEED}, phonemes by {reader}",
                   "scripts/make-voice (pinned inputs in scripts/voice/requirements.txt and scripts/make-voice)",
                   clips, meter)
    for lang, speaker, voice, wpm in ESPEAK_PACKS:
        clips = {key: normalise(trim(espeak_clip(text, voice, wpm)), meter)
                 for key, text in prompt_texts(lang).items()}
        write_pack(pathlib.Path(f"assets/voice/{lang}/{speaker}"), lang, speaker,
                   f"{args.espeak_version}, voice {voice}, {wpm} words/min",
                   "scripts/make-voice (espeak-ng from the distribution)",
                   clips, meter)


if __name__ == "__main__":
    sys.exit(main())
