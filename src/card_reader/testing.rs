//! An in-memory line for the driver's and the listener's unit tests: requests go to a
//! responder (usually the simulator's [`SimReader`], the same one the pty runs), answers
//! come back piece by piece, and "nothing queued" is a timeout that has already passed,
//! so silence costs no wall-clock time.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::layout::{CardKind, RawText};
use super::sim::{CardSpec, SimReader};
use super::transport::Transport;

type Responder = Box<dyn FnMut(&[u8]) -> Vec<Vec<u8>> + Send>;

pub(crate) struct Line {
    respond: Responder,
    chunks: VecDeque<Vec<u8>>,
    /// Requests sent, in order.
    pub sent: Arc<Mutex<Vec<Vec<u8>>>>,
    pub baud: Option<u32>,
}

impl Line {
    pub fn new(respond: impl FnMut(&[u8]) -> Vec<Vec<u8>> + Send + 'static) -> Line {
        Line {
            respond: Box::new(respond),
            chunks: VecDeque::new(),
            sent: Arc::default(),
            baud: None,
        }
    }

    /// A line to `sim`; each piece of an answer arrives as its own read.
    pub fn to_sim(sim: Arc<Mutex<SimReader>>) -> Line {
        Line::new(move |req| {
            let mut s = sim.lock().unwrap();
            s.receive(req)
                .into_iter()
                .flat_map(|(_, pieces)| pieces.into_iter().map(|p| p.bytes))
                .collect()
        })
    }
}

impl Transport for Line {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sent.lock().unwrap().push(bytes.to_vec());
        let answer = (self.respond)(bytes);
        self.chunks.extend(answer);
        Ok(())
    }

    fn receive(&mut self, buf: &mut [u8], _timeout: Duration) -> io::Result<usize> {
        let Some(mut chunk) = self.chunks.pop_front() else {
            return Ok(0);
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        if n < chunk.len() {
            self.chunks.push_front(chunk.split_off(n));
        }
        Ok(n)
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.chunks.clear();
        Ok(())
    }

    fn set_baud(&mut self, baud: u32) -> io::Result<()> {
        self.baud = Some(baud);
        Ok(())
    }
}

/// A simulated reader with the sample card of `kind` (or `spec`) and `faults`.
pub(crate) fn sim_with(
    spec: CardSpec,
    present: bool,
    refind: bool,
    faults: &[&str],
) -> Arc<Mutex<SimReader>> {
    let faults = faults.iter().map(|f| f.parse().unwrap()).collect();
    let card = spec.build().unwrap();
    Arc::new(Mutex::new(SimReader::new(card, present, refind, faults)))
}

pub(crate) fn sim(faults: &[&str]) -> Arc<Mutex<SimReader>> {
    sim_with(CardSpec::default(), true, false, faults)
}

/// A blank resident text block (for scripted answers).
pub(crate) fn blank_text() -> RawText {
    RawText::new(CardKind::Resident)
}
