//! How bytes reach the reader. The protocol logic ([`super::Reader`]) only sees this
//! trait, so its tests run on byte streams in memory; [`SerialTransport`] is the real
//! line, through the `serialport` crate.
//!
//! Only serial (and USB-serial bridges such as CH340 and CP210x, which appear as
//! `/dev/ttyUSB*` or `/dev/ttyACM*`) is implemented. Readers on USB bulk pipes or vendor
//! HID wrappers (see the notes) would be another implementation of this trait.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};

use super::error::ReaderError;

pub trait Transport: Send {
    /// Writes a whole request.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;

    /// Waits at most `timeout` for bytes and returns how many were read into `buf`; 0
    /// means none came in time.
    fn receive(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;

    /// Drops bytes received but not read yet: a late answer to an earlier try must not
    /// be taken for the answer to the next command.
    fn discard_input(&mut self) -> io::Result<()>;

    /// Changes the line speed (after the reader accepted SET BAUD).
    fn set_baud(&mut self, baud: u32) -> io::Result<()>;
}

/// A reader on a serial line, 8N1 without flow control.
pub struct SerialTransport {
    port: Box<dyn SerialPort>,
}

impl SerialTransport {
    /// Opens `path` at `baud`. The port is opened exclusively, so a second program (a
    /// `card read` while the kiosk listens) is told the reader is busy instead of the two
    /// stealing each other's answers.
    pub fn open(path: &Path, baud: u32) -> Result<SerialTransport, ReaderError> {
        // serialport reports a missing file as an unspecific error on some paths;
        // looking first gives the clearest message for the commonest mistake.
        // (A dangling link, such as a stopped simulator's, is missing too.)
        if matches!(std::fs::metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound) {
            return Err(ReaderError::NoDevice {
                path: path.to_owned(),
            });
        }
        let port = serialport::new(path.to_string_lossy(), baud)
            .data_bits(DataBits::Eight)
            .parity(Parity::None)
            .stop_bits(StopBits::One)
            .flow_control(FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| open_error(path.to_owned(), e))?;
        let mut t = SerialTransport { port };
        // Whatever the reader sent before we were listening is no answer of ours.
        t.discard_input().map_err(|e| ReaderError::Io {
            reason: e.to_string(),
        })?;
        Ok(t)
    }
}

fn open_error(path: PathBuf, e: serialport::Error) -> ReaderError {
    use serialport::ErrorKind as K;
    match e.kind {
        K::Io(io::ErrorKind::NotFound) => ReaderError::NoDevice { path },
        K::Io(io::ErrorKind::PermissionDenied) => ReaderError::Permission {
            path,
            reason: e.description,
        },
        // serialport's word for EBUSY from TIOCEXCL, and for a held flock.
        K::NoDevice => ReaderError::Busy { path },
        _ if e.description.contains("lock") => ReaderError::Busy { path },
        _ => ReaderError::Open {
            path,
            reason: e.description,
        },
    }
}

impl Transport for SerialTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port.write_all(bytes)?;
        self.port.flush()
    }

    fn receive(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        // serialport rounds a zero timeout up to "wait forever" on some platforms.
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(io::Error::from)?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.port.clear(ClearBuffer::Input).map_err(io::Error::from)
    }

    fn set_baud(&mut self, baud: u32) -> io::Result<()> {
        self.port.set_baud_rate(baud).map_err(io::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_device_is_named_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ttyUSB9");
        let Err(err) = SerialTransport::open(&path, 115_200) else {
            panic!("opened a missing device")
        };
        assert_eq!(err, ReaderError::NoDevice { path: path.clone() });
        let text = err.to_string();
        assert!(text.contains("ttyUSB9") && text.contains("[card_reader] device"));
        // A dangling link (the simulator's, after it stopped) is a missing device too.
        std::os::unix::fs::symlink(dir.path().join("gone"), &path).unwrap();
        assert!(matches!(
            SerialTransport::open(&path, 115_200),
            Err(ReaderError::NoDevice { .. })
        ));
    }

    #[test]
    fn a_plain_file_is_not_a_serial_port() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let Err(err) = SerialTransport::open(file.path(), 115_200) else {
            panic!("opened a plain file as a serial port")
        };
        assert!(matches!(err, ReaderError::Open { .. }), "{err}");
    }

    #[test]
    fn open_errors_map_to_their_fixes() {
        let p = PathBuf::from("/dev/ttyUSB0");
        let e = |kind, d: &str| open_error(p.clone(), serialport::Error::new(kind, d));
        let denied = e(
            serialport::ErrorKind::Io(io::ErrorKind::PermissionDenied),
            "Permission denied",
        );
        assert!(denied.to_string().contains("dialout"), "{denied}");
        assert_eq!(
            e(serialport::ErrorKind::NoDevice, "busy"),
            ReaderError::Busy { path: p.clone() }
        );
        assert!(matches!(
            e(serialport::ErrorKind::Io(io::ErrorKind::NotFound), "x"),
            ReaderError::NoDevice { .. }
        ));
    }
}
