//! Pacing of spoken prompts.

use super::effect::Prompt;
use super::params::FlowParams;

/// Speech bookkeeping, so prompts are neither lost nor repeated too often.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Voice {
    pub spoken: Option<Prompt>,
    pub last_ms: Option<u64>,
}

impl Voice {
    /// Speaks `prompt` now regardless of pacing (state entries, a new challenge).
    pub fn say(&mut self, prompt: Prompt, now_ms: u64) -> Prompt {
        self.spoken = Some(prompt.clone());
        self.last_ms = Some(now_ms);
        prompt
    }

    /// The prompt to speak, if any, when `prompt` is what the person should hear now: a
    /// new prompt after the minimum gap, the same one again after the repeat interval.
    pub fn want(&mut self, prompt: Prompt, now_ms: u64, params: &FlowParams) -> Option<Prompt> {
        let since = self.last_ms.map(|t| now_ms.saturating_sub(t));
        let due = if self.spoken.as_ref() == Some(&prompt) {
            since.is_none_or(|s| s >= params.voice_repeat_ms)
        } else {
            since.is_none_or(|s| s >= params.min_speech_gap_ms)
        };
        due.then(|| self.say(prompt, now_ms))
    }
}
