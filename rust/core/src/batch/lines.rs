//! The lines of a JSON Lines file, numbered and skipped as `contract.read_lines` does.

use crate::reading::is_blank;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Reading buffer: large reads, and few of them.
const BUFFER: usize = 1 << 18;

/// A line as read: what Python's reader does with it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Read<'r> {
    /// A line with something on it, without its line break.
    Text(u64, &'r str),
    /// A line that is not UTF-8 text (its number, and where it begins): Python's reader
    /// raises there.
    NotUtf8(u64, u64),
}

/// The non-blank lines of a file, each with its number (blank lines count too).
pub(crate) struct Lines<'p> {
    reader: BufReader<File>,
    number: u64,
    offset: u64,
    raw: Vec<u8>,
    /// Where this reader is, for the message of a failure.
    place: &'p AtomicU64,
}

impl<'p> Lines<'p> {
    pub fn open(path: &Path, place: &'p AtomicU64) -> io::Result<Self> {
        Ok(Lines {
            reader: BufReader::with_capacity(BUFFER, File::open(path)?),
            number: 0,
            offset: 0,
            raw: Vec::new(),
            place,
        })
    }

    /// The next line that is not blank, or None at the end of the file.
    pub fn next_line(&mut self) -> io::Result<Option<Read<'_>>> {
        loop {
            let Some(start) = self.next_raw()? else {
                return Ok(None);
            };
            if std::str::from_utf8(&self.raw).is_err() {
                return Ok(Some(Read::NotUtf8(self.number, start)));
            }
            if is_blank(&self.raw) {
                continue;
            }
            // Checked as UTF-8 just above: this cannot fail.
            let text = std::str::from_utf8(&self.raw).unwrap_or_default();
            return Ok(Some(Read::Text(
                self.number,
                text.trim_end_matches(['\r', '\n']),
            )));
        }
    }

    /// The next line's bytes with its break, and where it begins; None at the end.
    pub fn next_raw(&mut self) -> io::Result<Option<u64>> {
        self.raw.clear();
        let start = self.offset;
        let read = self.reader.read_until(b'\n', &mut self.raw)?;
        if read == 0 {
            return Ok(None);
        }
        self.offset += read as u64;
        self.number += 1;
        self.place.store(self.number, Ordering::Relaxed);
        Ok(Some(start))
    }

    /// The bytes of the line last read, with its break.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The number of the line last read.
    pub fn number(&self) -> u64 {
        self.number
    }
}
