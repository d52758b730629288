//! Whose turn it is to speak: the policy that keeps prompts from overlapping, apart from
//! the audio device so it is tested without one.
//!
//! **A new prompt waits for the sentence being spoken to end, and only the latest waiting
//! prompt is said.** Cutting a sentence off mid-word (what the kiosk did before) leaves an
//! elderly listener with half an instruction and the feeling they missed something;
//! queueing every prompt makes the kiosk talk about a moment already gone ("move closer"
//! after they did). Prompts are one short sentence (1–3.5 s), so the wait is short, and
//! a prompt superseded while waiting is dropped. A prompt equal to the one being spoken
//! is not said twice.

/// The speaking state. `T` is the clip (a path in the kiosk, anything in tests).
#[derive(Debug)]
pub struct Turns<T> {
    speaking: Option<T>,
    waiting: Option<T>,
}

impl<T> Default for Turns<T> {
    fn default() -> Self {
        Turns {
            speaking: None,
            waiting: None,
        }
    }
}

impl<T: Clone + PartialEq> Turns<T> {
    /// A prompt to say (from the flow, or the retiree's repeat button). Returns the clip
    /// to start now, if any.
    pub fn say(&mut self, clip: T) -> Option<T> {
        match &self.speaking {
            None => {
                self.speaking = Some(clip.clone());
                Some(clip)
            }
            Some(now) if *now == clip => {
                // What is being said is already the latest instruction.
                self.waiting = None;
                None
            }
            Some(_) => {
                self.waiting = Some(clip);
                None
            }
        }
    }

    /// The clip being spoken ended (or could not be played). Returns the next to start.
    pub fn finished(&mut self) -> Option<T> {
        self.speaking = self.waiting.take();
        self.speaking.clone()
    }

    pub fn speaking(&self) -> Option<&T> {
        self.speaking.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_in_silence_starts_at_once() {
        let mut t = Turns::default();
        assert_eq!(t.say("a"), Some("a"));
        assert_eq!(t.speaking(), Some(&"a"));
        assert_eq!(t.finished(), None);
        assert_eq!(t.speaking(), None);
    }

    #[test]
    fn a_new_prompt_waits_for_the_sentence_to_end() {
        let mut t = Turns::default();
        t.say("too_far");
        assert_eq!(t.say("good"), None, "never two voices at once");
        assert_eq!(t.speaking(), Some(&"too_far"), "the sentence is not cut");
        assert_eq!(t.finished(), Some("good"));
        assert_eq!(t.finished(), None);
    }

    #[test]
    fn only_the_latest_waiting_prompt_is_said() {
        let mut t = Turns::default();
        t.say("too_far");
        t.say("too_close");
        t.say("good");
        assert_eq!(t.finished(), Some("good"), "the superseded hint is dropped");
        assert_eq!(t.finished(), None);
    }

    #[test]
    fn the_prompt_being_spoken_is_not_said_twice() {
        let mut t = Turns::default();
        t.say("blink");
        assert_eq!(t.say("blink"), None);
        assert_eq!(t.finished(), None);
        // ...and it supersedes a different prompt waiting behind it.
        t.say("blink");
        t.say("good");
        t.say("blink");
        assert_eq!(t.finished(), None);
    }

    #[test]
    fn after_the_end_the_same_prompt_may_be_said_again() {
        // The repeat button, pressed once the sentence is over.
        let mut t = Turns::default();
        t.say("blink");
        t.finished();
        assert_eq!(t.say("blink"), Some("blink"));
    }
}
