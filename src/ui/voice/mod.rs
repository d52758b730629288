//! Spoken prompts. The flow decides when to speak (and when to repeat a prompt nobody
//! reacted to, `flow.voice_repeat_secs`); the retiree's repeat button asks for the prompt
//! on screen again. This plays the clip for a prompt key from the voice pack of the
//! current language (the screen's, switched by the clerk) and the configured speaker:
//! `<voice.dir>/<lang>/<speaker>/` (docs/voice-pack.md). Prompts never overlap
//! ([`turns`]).
//!
//! No audio device, no pack or voice disabled → a warning in the log (once) and the flow
//! goes on: the screen carries every instruction too.

pub mod turns;

use std::collections::{HashMap, HashSet};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use crate::flow::Prompt;
use crate::voice_pack::{self, Pack};
use turns::Turns;

/// Plays prompts. Called on the analysis thread; must not block for the clip's length.
pub trait Speaker: Send {
    fn speak(&mut self, prompt: &Prompt);
}

/// Logs what would be said (voice disabled, or no audio output).
pub struct LogSpeaker;

impl Speaker for LogSpeaker {
    fn speak(&mut self, prompt: &Prompt) {
        tracing::debug!(prompt = %prompt.key(), "speak (no audio)");
    }
}

/// The language the voice speaks, shared with the UI: the clerk's language switch
/// changes what the retiree hears from the next prompt on.
pub type VoiceLanguage = Arc<Mutex<String>>;

/// The voice of a language that has no pack of its own (docs/voice-pack.md).
pub const FALLBACK_LANGUAGE: &str = "zh-CN";

/// Finds a prompt's clip: the pack of the current language and configured speaker,
/// opened once per language. Shared by the flow's speaker and the repeat button.
pub struct Clips {
    root: PathBuf,
    speaker: String,
    lang: VoiceLanguage,
    packs: Mutex<HashMap<String, Option<Pack>>>,
}

impl Clips {
    pub fn new(root: PathBuf, speaker: &str, lang: VoiceLanguage) -> Clips {
        Clips {
            root,
            speaker: speaker.to_string(),
            lang,
            packs: Mutex::new(HashMap::new()),
        }
    }

    /// The clip of `prompt` in the current language, if its pack has one.
    pub fn clip(&self, prompt: &Prompt) -> Option<PathBuf> {
        let lang = self.lang.lock().map(|l| l.clone()).unwrap_or_default();
        self.pack_for(&lang)?.clip(&prompt.key())
    }

    /// The language the voice actually speaks for screens in `lang`: `lang` itself,
    /// the fallback's when `lang` has no pack of its own, `None` with no pack at all.
    pub fn voice_language(&self, lang: &str) -> Option<String> {
        // Asked every frame by the clerk panel: no clone of the pack.
        let mut packs = self.packs.lock().ok()?;
        packs
            .entry(lang.to_string())
            .or_insert_with(|| self.open(lang))
            .as_ref()
            .map(|p| p.manifest.language.clone())
    }

    /// The pack that speaks `lang`, opened (and any problem logged) on first use.
    fn pack_for(&self, lang: &str) -> Option<Pack> {
        let mut packs = self.packs.lock().ok()?;
        packs
            .entry(lang.to_string())
            .or_insert_with(|| self.open(lang))
            .clone()
    }

    fn open(&self, lang: &str) -> Option<Pack> {
        let dir = voice_pack::find(&self.root, lang, &self.speaker).or_else(|| {
            // A language with no voice yet (Mongolian until an office records one) is
            // spoken in Mandarin: a voice the retiree may understand beats silence.
            let dir = voice_pack::find(&self.root, FALLBACK_LANGUAGE, &self.speaker)?;
            tracing::warn!(lang, pack = %dir.display(), "no voice pack for this language; its prompts are spoken in {FALLBACK_LANGUAGE}");
            Some(dir)
        });
        let Some(dir) = dir else {
            tracing::warn!(dir = %self.root.join(lang).display(), "no voice pack for this language; its prompts are shown only");
            return None;
        };
        match Pack::open(&dir) {
            Ok(p) => {
                if p.manifest.speaker != self.speaker {
                    tracing::info!(lang, speaker = %p.manifest.speaker, "no {} voice for this language; using the {} one", self.speaker, p.manifest.speaker);
                }
                Some(p)
            }
            Err(e) => {
                tracing::warn!("{e}; prompts in {lang} are shown only (check the pack with `certpoint voice check`)");
                None
            }
        }
    }
}

/// Plays clips on a thread of its own (the audio stream is not `Send`, and a clip must
/// never hold up the analysis).
pub struct ClipSpeaker {
    tx: mpsc::Sender<PathBuf>,
    clips: Arc<Clips>,
}

impl Speaker for ClipSpeaker {
    fn speak(&mut self, prompt: &Prompt) {
        if let Some(clip) = self.clips.clip(prompt) {
            let _ = self.tx.send(clip);
        }
    }
}

/// The retiree's repeat button: says the prompt on screen again, through the same
/// turn-taking as the flow's prompts. Cheap to clone.
#[derive(Clone)]
pub struct Repeater {
    tx: mpsc::Sender<PathBuf>,
    clips: Arc<Clips>,
}

impl Repeater {
    pub fn repeat(&self, prompt: &Prompt) {
        tracing::info!(prompt = %prompt.key(), "repeat asked");
        if let Some(clip) = self.clips.clip(prompt) {
            let _ = self.tx.send(clip);
        }
    }

    /// The language spoken for screens in `lang` ([`Clips::voice_language`]).
    pub fn voice_language(&self, lang: &str) -> Option<String> {
        self.clips.voice_language(lang)
    }

    /// A repeater whose requests arrive on the returned receiver (tests of the screens).
    pub fn for_tests(clips: Clips) -> (Repeater, mpsc::Receiver<PathBuf>) {
        let (tx, rx) = mpsc::channel();
        let clips = Arc::new(clips);
        (Repeater { tx, clips }, rx)
    }
}

impl ClipSpeaker {
    /// Starts the audio thread. Never fails: without an audio device the thread logs a
    /// warning once and discards the prompts.
    pub fn start(clips: Clips, volume: f32) -> (ClipSpeaker, Repeater) {
        let (tx, rx) = mpsc::channel::<PathBuf>();
        let spawned = std::thread::Builder::new()
            .name("voice".into())
            .spawn(move || play_loop(volume, rx));
        if let Err(e) = spawned {
            tracing::warn!("cannot start the voice thread ({e}); prompts are shown only");
        }
        let clips = Arc::new(clips);
        let repeater = Repeater {
            tx: tx.clone(),
            clips: Arc::clone(&clips),
        };
        (ClipSpeaker { tx, clips }, repeater)
    }
}

/// How often the audio thread looks whether the clip being spoken has ended.
const POLL: Duration = Duration::from_millis(40);

fn play_loop(volume: f32, rx: mpsc::Receiver<PathBuf>) {
    let mut stream = match rodio::OutputStreamBuilder::open_default_stream() {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(
                "no audio output ({e}); voice prompts are off, the screen shows every instruction"
            );
            for _ in rx {}
            return;
        }
    };
    stream.log_on_drop(false);
    tracing::info!(volume, "voice prompts on");
    let mut unusable = HashSet::new();
    let mut turns = Turns::default();
    let mut sink: Option<rodio::Sink> = None;
    loop {
        let next = if turns.speaking().is_some() {
            match rx.recv_timeout(POLL) {
                Ok(clip) => turns.say(clip),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(clip) => turns.say(clip),
                Err(_) => break,
            }
        };
        let mut next = next.or_else(|| {
            let ended = sink.as_ref().is_none_or(|s| s.empty());
            (turns.speaking().is_some() && ended)
                .then(|| turns.finished())
                .flatten()
        });
        // Start the next clip; one that cannot be played counts as spoken at once.
        while let Some(clip) = next.take() {
            match decode(&clip) {
                Ok(source) => {
                    let s = rodio::Sink::connect_new(stream.mixer());
                    s.set_volume(volume);
                    s.append(source);
                    sink = Some(s);
                }
                Err(e) => {
                    if unusable.insert(clip.clone()) {
                        tracing::warn!(clip = %clip.display(), "voice clip unusable ({e}); prompt shown only");
                    }
                    sink = None;
                    next = turns.finished();
                }
            }
        }
    }
    drop(sink);
}

fn decode(clip: &Path) -> Result<rodio::Decoder<BufReader<std::fs::File>>, String> {
    let f = std::fs::File::open(clip).map_err(|e| e.to_string())?;
    rodio::Decoder::new(BufReader::new(f)).map_err(|e| e.to_string())
}

/// The kiosk's voice as the configuration asks for it.
pub struct Voice {
    pub speaker: Box<dyn Speaker>,
    /// `None` when the voice is disabled: the screens then show no repeat button.
    pub repeater: Option<Repeater>,
}

/// Clips from `<voice.dir>/<lang>/<speaker>/` when enabled, else the log.
pub fn open(section: &crate::config::VoiceSection, base_dir: &Path, lang: VoiceLanguage) -> Voice {
    if !section.enabled {
        tracing::info!("voice disabled (voice.enabled = false)");
        return Voice {
            speaker: Box::new(LogSpeaker),
            repeater: None,
        };
    }
    let root = base_dir.join(&section.dir);
    // Open every language's pack now: problems show in the log at start-up, not at the
    // first prompt of the day.
    let clips = Clips::new(root, &section.speaker, Arc::clone(&lang));
    for l in crate::ui::i18n::LANGUAGES {
        let _ = clips.pack_for(l);
    }
    let (speaker, repeater) = ClipSpeaker::start(clips, section.volume);
    Voice {
        speaker: Box::new(speaker),
        repeater: Some(repeater),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/voice")
    }

    /// Every prompt the flow can speak has a clip in each shipped pack's language, for
    /// each speaker setting (a language with one speaker's pack serves both).
    #[test]
    fn every_prompt_has_a_clip_in_every_language() {
        for speaker in voice_pack::SPEAKERS {
            for lang in ["zh-CN", "en"] {
                let clips = Clips::new(shipped(), speaker, Arc::new(Mutex::new(lang.to_string())));
                for p in crate::ui::i18n::every_prompt() {
                    let clip = clips.clip(&p).unwrap_or_else(|| {
                        panic!(
                            "{lang}/{speaker}: no clip for {}: run scripts/make-voice",
                            p.key()
                        )
                    });
                    assert!(clip.is_file(), "missing {}", clip.display());
                }
            }
        }
    }

    /// The speaker setting picks the pack; the language switch is followed.
    #[test]
    fn the_speaker_and_language_choose_the_clip() {
        let lang: VoiceLanguage = Arc::new(Mutex::new("zh-CN".into()));
        let male = Clips::new(shipped(), "male", Arc::clone(&lang));
        assert!(male
            .clip(&Prompt::Passed)
            .unwrap()
            .ends_with("zh-CN/male/passed.ogg"));
        let female = Clips::new(shipped(), "female", Arc::clone(&lang));
        assert!(female
            .clip(&Prompt::Passed)
            .unwrap()
            .ends_with("zh-CN/female/passed.ogg"));
        *lang.lock().unwrap() = "en".into();
        assert!(female
            .clip(&Prompt::Passed)
            .unwrap()
            .ends_with("en/female/passed.ogg"));
        *lang.lock().unwrap() = "mn".into();
        assert!(
            female
                .clip(&Prompt::Passed)
                .unwrap()
                .ends_with("zh-CN/female/passed.ogg"),
            "no pack of its own: Mandarin"
        );
        let empty = tempfile::tempdir().unwrap();
        let none = Clips::new(empty.path().into(), "female", lang);
        assert_eq!(
            none.clip(&Prompt::Passed),
            None,
            "no pack at all: shown only"
        );
    }

    /// The committed clips decode with the same decoder the kiosk plays them with.
    #[test]
    fn clips_decode() {
        use rodio::Source;
        for (lang, speaker) in [
            ("zh-CN", "female"),
            ("zh-CN", "male"),
            ("en", "female"),
            ("en", "male"),
        ] {
            let d = decode(&shipped().join(lang).join(speaker).join("passed.ogg")).unwrap();
            assert_eq!((d.channels(), d.sample_rate()), (1, 24_000));
            assert!(d.count() > 12_000, "{lang}/{speaker}: clip too short");
        }
    }

    /// Without an audio device (as on a build server) speaking is harmless.
    #[test]
    fn speaking_without_a_device_goes_on() {
        let lang = Arc::new(Mutex::new("zh-CN".into()));
        let (mut s, r) = ClipSpeaker::start(Clips::new(shipped(), "female", lang), 0.5);
        s.speak(&Prompt::Passed);
        s.speak(&Prompt::Hint(crate::flow::Placement::TooFar));
        r.repeat(&Prompt::Passed);
    }
}
