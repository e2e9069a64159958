//! Python's `broadcasts_end`: where the broadcasts at the head of an events file end.
//!
//! Python finds it with `json.loads`, not with the library's strict reader: a key given
//! twice keeps its last value, and `NaN` or a lone surrogate is no error. The scanner
//! here follows that grammar (that of CPython's `_json` scanner), so that the head ends on
//! the same line; what it cannot follow as surely (a deep nesting, a very long integer,
//! bytes `json.loads` would read as UTF-16) is left to Python.

use super::lines::Lines;
use super::{Place, Which};
use std::io;
use std::path::Path;

/// Deeper nesting is left to Python: its recursion limit, not the grammar, decides there.
const MAX_DEPTH: usize = 128;
/// Python refuses an integer literal longer than this (`sys.get_int_max_str_digits()` by
/// default; the environment may change it, so longer ones are left to Python).
const MAX_INT_DIGITS: usize = 4300;

/// What `json.loads` makes of a line, as far as the head is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skim {
    /// An object whose `customer` is a string: the head ends here.
    Customer,
    /// Anything else: no JSON, not an object, no `customer` or not a string.
    Other,
    /// A line the scanner cannot judge as Python would.
    Unsure(String),
}

/// The number of the first line of the events file that names a customer (the first
/// line after the broadcasts), or None; Err with a reason where Python must decide.
pub(crate) fn broadcasts_end(
    path: &Path,
    place: &Place,
) -> io::Result<Result<Option<u64>, String>> {
    let mut lines = Lines::open(path, place.of(Which::Events))?;
    while lines.next_raw()?.is_some() {
        match names_customer(lines.raw()) {
            Skim::Customer => return Ok(Ok(Some(lines.number()))),
            Skim::Other => {}
            Skim::Unsure(reason) => {
                return Ok(Err(format!("events line {}: {reason}", lines.number())))
            }
        }
    }
    Ok(Ok(None))
}

/// Whether `json.loads(raw)` gives an object whose `customer` is a string.
pub(crate) fn names_customer(raw: &[u8]) -> Skim {
    // json.loads picks the encoding of bytes from their first bytes.
    if raw.starts_with(b"\xef\xbb\xbf") {
        return scan_text(&raw[3..]);
    }
    let unicode_bom = [&b"\xff\xfe"[..], b"\xfe\xff", b"\x00\x00\xfe\xff"];
    let nul_at_start = match raw.len() {
        2 | 4.. => raw[0] == 0 || raw[1] == 0,
        _ => false,
    };
    if nul_at_start || unicode_bom.iter().any(|bom| raw.starts_with(bom)) {
        return Skim::Unsure("bytes json.loads reads as UTF-16 or UTF-32".to_owned());
    }
    scan_text(raw)
}

fn scan_text(raw: &[u8]) -> Skim {
    // Not UTF-8: Python's reader stops at this line whatever the head is.
    let Ok(text) = std::str::from_utf8(raw) else {
        return Skim::Other;
    };
    let mut scan = Scan {
        bytes: text.as_bytes(),
        at: 0,
    };
    match scan.document() {
        Ok(true) => Skim::Customer,
        Ok(false) | Err(Stop::Invalid) => Skim::Other,
        Err(Stop::Unsure(reason)) => Skim::Unsure(reason.to_owned()),
    }
}

/// Why the scan stopped early.
enum Stop {
    /// Python's json.loads raises ValueError: the line names no customer.
    Invalid,
    Unsure(&'static str),
}

type Scanned<T> = Result<T, Stop>;

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    /// True for an object whose last `customer` member is a string.
    fn document(&mut self) -> Scanned<bool> {
        self.skip_space();
        let customer = if self.peek() == Some(b'{') {
            self.top_object()?
        } else {
            self.value(0)?;
            false
        };
        self.skip_space();
        if self.at != self.bytes.len() {
            return Err(Stop::Invalid);
        }
        Ok(customer)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Scanned<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Stop::Invalid)
        }
    }

    /// The top-level object: whether its last `customer` is a string.
    fn top_object(&mut self) -> Scanned<bool> {
        let mut customer = false;
        self.members(1, |scan, key| {
            let is_string = scan.peek() == Some(b'"');
            scan.value(1)?;
            if key {
                customer = is_string;
            }
            Ok(())
        })?;
        Ok(customer)
    }

    /// `{ "key": value, ... }`; `member` reads each value, told whether the key is
    /// `customer`.
    fn members(
        &mut self,
        depth: usize,
        mut member: impl FnMut(&mut Self, bool) -> Scanned<()>,
    ) -> Scanned<()> {
        self.at += 1;
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(Stop::Invalid);
            }
            let key = self.string(depth == 1)?;
            self.skip_space();
            self.expect(b':')?;
            self.skip_space();
            member(self, key)?;
            self.skip_space();
            match self.peek() {
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b',') => {
                    self.at += 1;
                    self.skip_space();
                }
                _ => return Err(Stop::Invalid),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Scanned<()> {
        if depth >= MAX_DEPTH {
            return Err(Stop::Unsure("nested deeper than the core reads"));
        }
        let rest = &self.bytes[self.at..];
        let literal = [
            &b"null"[..],
            b"true",
            b"false",
            b"NaN",
            b"Infinity",
            b"-Infinity",
        ]
        .into_iter()
        .find(|word| rest.starts_with(word));
        match self.peek() {
            Some(b'"') => self.string(false).map(drop),
            Some(b'{') => self.members(depth + 1, |scan, _| scan.value(depth + 1)),
            Some(b'[') => self.array(depth + 1),
            _ if literal.is_some() => {
                self.at += literal.map_or(0, <[u8]>::len);
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(Stop::Invalid),
        }
    }

    fn array(&mut self, depth: usize) -> Scanned<()> {
        self.at += 1;
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        loop {
            self.value(depth)?;
            self.skip_space();
            match self.peek() {
                Some(b']') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b',') => {
                    self.at += 1;
                    self.skip_space();
                }
                _ => return Err(Stop::Invalid),
            }
        }
    }

    /// CPython's `_match_number_unicode`: what follows a number that ends early is the
    /// caller's error.
    fn number(&mut self) -> Scanned<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let start = self.at;
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Stop::Invalid),
        }
        let whole = self.at - start;
        let mut float = false;
        if self.peek() == Some(b'.') && self.digit_at(self.at + 1) {
            self.at += 1;
            self.digits();
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mark = self.at;
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digit_at(self.at) {
                self.digits();
                float = true;
            } else {
                self.at = mark;
            }
        }
        if !float && whole > MAX_INT_DIGITS {
            return Err(Stop::Unsure(
                "an integer longer than Python reads by default",
            ));
        }
        Ok(())
    }

    fn digit_at(&self, at: usize) -> bool {
        self.bytes.get(at).is_some_and(u8::is_ascii_digit)
    }

    fn digits(&mut self) {
        while self.digit_at(self.at) {
            self.at += 1;
        }
    }

    /// A string (the opening quote next); when `compare`, whether it says `customer`.
    fn string(&mut self, compare: bool) -> Scanned<bool> {
        self.at += 1;
        let mut decoded = Vec::new();
        loop {
            let start = self.at;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.at += 1;
            }
            if compare {
                decoded.extend_from_slice(&self.bytes[start..self.at]);
            }
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(compare && decoded == b"customer");
                }
                Some(b'\\') => {
                    let unit = self.escape()?;
                    if compare {
                        push_unit(&mut decoded, unit);
                    }
                }
                _ => return Err(Stop::Invalid),
            }
        }
    }

    /// After a backslash: the UTF-16 unit it stands for (pairs are not joined: a key
    /// with a character past U+FFFF is not `customer` either way).
    fn escape(&mut self) -> Scanned<u32> {
        let letter = self.bytes.get(self.at + 1).copied();
        self.at += 2;
        let unit = match letter {
            Some(b'"') => u32::from(b'"'),
            Some(b'\\') => u32::from(b'\\'),
            Some(b'/') => u32::from(b'/'),
            Some(b'b') => 8,
            Some(b'f') => 12,
            Some(b'n') => u32::from(b'\n'),
            Some(b'r') => u32::from(b'\r'),
            Some(b't') => u32::from(b'\t'),
            Some(b'u') => {
                let digits = self.bytes.get(self.at..self.at + 4).ok_or(Stop::Invalid)?;
                if !digits.iter().all(u8::is_ascii_hexdigit) {
                    return Err(Stop::Invalid);
                }
                self.at += 4;
                digits
                    .iter()
                    .fold(0, |code, digit| code * 16 + hex_value(*digit))
            }
            _ => return Err(Stop::Invalid),
        };
        Ok(unit)
    }
}

fn hex_value(digit: u8) -> u32 {
    char::from(digit).to_digit(16).unwrap_or(0)
}

/// An escaped unit, as UTF-8 where it is a character (a surrogate never matches a key).
fn push_unit(decoded: &mut Vec<u8>, unit: u32) {
    match char::from_u32(unit) {
        Some(c) => decoded.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        None => decoded.push(0xff),
    }
}
