//! Spoken prompts. The flow decides when to speak (and when to repeat a prompt nobody
//! reacted to, `flow.voice_repeat_secs`); this only plays the clip for a prompt key in
//! the current language (the screen's, switched by the clerk): `<voice.dir>/<lang>/<key>.wav`.
//!
//! No audio device, no clip or voice disabled → a warning in the log (once) and the flow
//! goes on: the screen carries every instruction too.

use std::collections::HashSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use crate::flow::Prompt;

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

/// Plays `<dir>/<key>.wav` on a thread of its own (the audio stream is not `Send`, and a
/// clip must never hold up the analysis). A new prompt cuts the one playing: the latest
/// instruction is the one that matters.
pub struct ClipSpeaker {
    tx: mpsc::Sender<PathBuf>,
    /// `<voice.dir>`; the clip is `<root>/<lang>/<key>.wav`.
    root: PathBuf,
    lang: VoiceLanguage,
}

/// The language the voice speaks, shared with the UI: the clerk's language switch
/// changes what the retiree hears from the next prompt on.
pub type VoiceLanguage = Arc<Mutex<String>>;

impl Speaker for ClipSpeaker {
    fn speak(&mut self, prompt: &Prompt) {
        let lang = self.lang.lock().map(|l| l.clone()).unwrap_or_default();
        let _ = self
            .tx
            .send(self.root.join(lang).join(format!("{}.wav", prompt.key())));
    }
}

impl ClipSpeaker {
    /// Starts the audio thread. Never fails: without an audio device the thread logs a
    /// warning once and discards the prompts.
    pub fn start(root: PathBuf, lang: VoiceLanguage, volume: f32) -> ClipSpeaker {
        let (tx, rx) = mpsc::channel::<PathBuf>();
        let spawned = std::thread::Builder::new()
            .name("voice".into())
            .spawn(move || play_loop(volume, rx));
        if let Err(e) = spawned {
            tracing::warn!("cannot start the voice thread ({e}); prompts are shown only");
        }
        ClipSpeaker { tx, root, lang }
    }
}

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
    let mut missing = HashSet::new();
    let mut sink: Option<rodio::Sink> = None;
    for path in rx {
        let decoded = std::fs::File::open(&path)
            .map_err(|e| e.to_string())
            .and_then(|f| rodio::Decoder::new(BufReader::new(f)).map_err(|e| e.to_string()));
        match decoded {
            Ok(source) => {
                // Dropping the previous sink stops its clip.
                let s = rodio::Sink::connect_new(stream.mixer());
                s.set_volume(volume);
                s.append(source);
                sink = Some(s);
            }
            Err(e) => {
                if missing.insert(path.clone()) {
                    tracing::warn!(clip = %path.display(), "voice clip unusable ({e}); prompt shown only");
                }
            }
        }
    }
    drop(sink);
}

/// The speaker the configuration asks for: clips from `<voice.dir>/<lang>/` when
/// enabled, else the log.
pub fn open(
    section: &crate::config::VoiceSection,
    base_dir: &Path,
    lang: VoiceLanguage,
) -> Box<dyn Speaker> {
    if !section.enabled {
        tracing::info!("voice disabled (voice.enabled = false)");
        return Box::new(LogSpeaker);
    }
    let root = base_dir.join(&section.dir);
    for l in crate::ui::i18n::LANGUAGES {
        if !root.join(l).is_dir() {
            tracing::warn!(dir = %root.join(l).display(), "no voice clips for this language; its prompts are shown only");
        }
    }
    Box::new(ClipSpeaker::start(root, lang, section.volume))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every prompt the flow can speak has a clip in every language's pack.
    #[test]
    fn every_prompt_has_a_clip_in_every_language() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/voice");
        for lang in crate::ui::i18n::LANGUAGES {
            for p in crate::ui::i18n::every_prompt() {
                let clip = root.join(lang).join(format!("{}.wav", p.key()));
                assert!(
                    clip.is_file(),
                    "missing {}: run scripts/make-voice",
                    clip.display()
                );
            }
        }
    }

    /// The committed clips decode with the same decoder the kiosk plays them with.
    #[test]
    fn clips_decode() {
        use rodio::Source;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/voice");
        for lang in crate::ui::i18n::LANGUAGES {
            let f = std::fs::File::open(root.join(lang).join("passed.wav")).unwrap();
            let d = rodio::Decoder::new(BufReader::new(f)).unwrap();
            assert_eq!((d.channels(), d.sample_rate()), (1, 11025));
            assert!(d.count() > 5_000, "{lang}: clip too short");
        }
    }

    /// Without an audio device (as on a build server) speaking is harmless.
    #[test]
    fn speaking_without_a_device_goes_on() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/voice");
        let mut s = ClipSpeaker::start(root, Arc::new(Mutex::new("zh-CN".into())), 0.5);
        s.speak(&Prompt::Passed);
        s.speak(&Prompt::Hint(crate::flow::Placement::TooFar));
    }
}
