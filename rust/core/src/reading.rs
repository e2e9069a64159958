//! The data contract in: customer and event records, one JSON object a line, read and
//! checked as `outreach_rules/contract.py` and the value objects of `model.py` do.
//!
//! A line is accepted here only when Python's reader accepts it, with the same values.
//! A refused line carries a short reason; the caller then reads it again with the Python
//! reader, which raises the library's exact error (or, for a form the core does not take,
//! an integer beyond 64 bits, accepts it). `NaN`, `Infinity` and a number too large for
//! a float are refused by both readers, as is a `country` outside ISO 3166 ([`COUNTRIES`]).
//!
//! Both readers keep the same two limits (`MAX_DEPTH` and `MAX_DIGITS` of
//! `outreach_rules/_strict_json.py`): a line nested deeper, or holding a longer whole
//! number, is refused by both, so hostile input is refused quickly and alike.

use crate::error::{CoreError, ErrorKind};
use crate::model::{Category, Channel, Customer, Event, Instant};
use crate::time::instants::parse_instant;
use crate::time::Calendars;
use serde_json::{Map, Number, Value};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// Why a line was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// A short reason, for debugging; the Python reader words the real error.
    pub reason: String,
    /// True when Python's reader may accept the line (a form the core does not take, or a
    /// source error that is not the library's own): the Python reader must decide.
    /// False when Python's reader refuses it too.
    pub python_decides: bool,
}

impl LineError {
    fn refused(reason: impl Into<String>) -> Self {
        LineError {
            reason: reason.into(),
            python_decides: false,
        }
    }

    fn doubtful(reason: impl Into<String>) -> Self {
        LineError {
            reason: reason.into(),
            python_decides: true,
        }
    }

    fn field(field: &str, problem: &str) -> Self {
        Self::refused(format!("{field}: {problem}"))
    }
}

impl From<CoreError> for LineError {
    fn from(error: CoreError) -> Self {
        let ours = matches!(
            error.kind,
            ErrorKind::Input | ErrorKind::Time | ErrorKind::Vocabulary
        );
        LineError {
            reason: error.to_string(),
            python_decides: !ours,
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for LineError {}

type Read<T> = Result<T, LineError>;

const CUSTOMER_FIELDS: [&str; 7] = [
    "id",
    "timezone",
    "country",
    "since",
    "channels",
    "consents",
    "attributes",
];
const CUSTOMER_REQUIRED: [&str; 4] = ["id", "timezone", "country", "since"];
const EVENT_FIELDS: [&str; 6] = ["id", "customer", "kind", "at", "ref", "data"];
const EVENT_REQUIRED: [&str; 2] = ["kind", "at"];

/// The instants the library accepts: from the start of 1801 to the start of 2400
/// (`ACCEPTED_SPAN` of `outreach_rules/timeline/zone.py`).
const ACCEPTED_SPAN: (Instant, Instant) = (-5_333_126_400, 13_569_465_600);

/// The ISO 3166-1 alpha-2 codes a customer's `country` may begin with, in order: the 249
/// that ISO assigns, and XK (Kosovo). As `COUNTRIES` of `outreach_rules/contract.py`.
pub const COUNTRIES: [&str; 250] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A customer from one line of a customers file.
pub fn customer_from_line(line: &[u8], calendars: &Calendars) -> Result<Customer, LineError> {
    let mut record = parse_record(line)?;
    check_keys(&record, &CUSTOMER_FIELDS, &CUSTOMER_REQUIRED)?;
    let id = text(record.remove("id"), "id")?;
    let timezone = zone_name(record.remove("timezone"), calendars)?;
    let country = text(record.remove("country"), "country")?;
    if !is_country(&country) {
        return Err(LineError::field(
            "country",
            "must match [A-Z]{2}(?:-[A-Z0-9]{1,3})?",
        ));
    }
    if COUNTRIES.binary_search(&&country[..2]).is_err() {
        return Err(LineError::field(
            "country",
            "is not an ISO 3166 country code",
        ));
    }
    let channels = channels(record.remove("channels"))?;
    let consents = consents(record.remove("consents"))?;
    let attributes = mapping(record.remove("attributes"), "attributes")?;
    // Last, as it may ask the sources: which check refuses first does not matter here.
    let since = instant(record.remove("since"), "since", calendars)?;
    Ok(Customer {
        id,
        timezone,
        country,
        since,
        channels,
        consents,
        attributes,
    })
}

/// An event from one line of an events file; without `customer` it is a broadcast.
pub fn event_from_line(line: &[u8], calendars: &Calendars) -> Result<Event, LineError> {
    let mut record = parse_record(line)?;
    check_keys(&record, &EVENT_FIELDS, &EVENT_REQUIRED)?;
    let kind = text(record.remove("kind"), "kind")?;
    if !is_kind(&kind) {
        return Err(LineError::field(
            "kind",
            "must match [A-Za-z][A-Za-z0-9_.:-]*",
        ));
    }
    let customer = optional_text(record.remove("customer"), "customer")?;
    let reference = optional_text(record.remove("ref"), "ref")?;
    let id = optional_text(record.remove("id"), "id")?;
    let data = mapping(record.remove("data"), "data")?;
    let at = instant(record.remove("at"), "at", calendars)?;
    Ok(Event {
        kind,
        at,
        customer,
        reference,
        id,
        data,
    })
}

/// The event kinds a policy knows (its `events` and the kinds the library reads itself),
/// and whether an event of another kind is refused or only reported: as `Kinds` of
/// `outreach_rules/_reading.py`, which words the report and the refusal.
#[derive(Debug, Clone, Default)]
pub struct Kinds {
    known: HashSet<String>,
    refuse: bool,
}

impl Kinds {
    pub fn new(known: impl IntoIterator<Item = String>, refuse: bool) -> Self {
        Kinds {
            known: known.into_iter().collect(),
            refuse,
        }
    }

    /// Whether `event`'s kind is known: Ok(true); Ok(false) when it is to be reported;
    /// Err when it is to be refused.
    pub fn check(&self, event: &Event) -> Result<bool, LineError> {
        if self.known.contains(&event.kind) {
            Ok(true)
        } else if self.refuse {
            Err(LineError::field(
                "kind",
                "is not an event kind the policy knows",
            ))
        } else {
            Ok(false)
        }
    }
}

/// Whether Python's reader skips the line as blank: UTF-8 text of whitespace only.
pub fn is_blank(line: &[u8]) -> bool {
    std::str::from_utf8(line).is_ok_and(|text| text.chars().all(is_py_space))
}

/// The JSON object on a line, read as the library's strict reader reads it
/// (`outreach_rules/_strict_json.py`): a key given twice or a lone surrogate is refused.
pub fn parse_record(line: &[u8]) -> Result<Map<String, Value>, LineError> {
    // Python decodes the whole line before parsing, so bad UTF-8 anywhere is refused.
    let text = std::str::from_utf8(line).map_err(|_| LineError::refused("is not UTF-8 text"))?;
    match Parser::new(text).document()? {
        Value::Object(record) => Ok(record),
        _ => Err(LineError::refused("must be a JSON object")),
    }
}

// -- the fields ---------------------------------------------------------------------------

fn check_keys(record: &Map<String, Value>, allowed: &[&str], required: &[&str]) -> Read<()> {
    if let Some(key) = record.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(LineError::field(key, "is not a field of this record"));
    }
    // A null counts as missing, as `record.get(key) is None` does.
    match required
        .iter()
        .find(|key| record.get(**key).is_none_or(Value::is_null))
    {
        Some(key) => Err(LineError::field(key, "is required")),
        None => Ok(()),
    }
}

/// Python's `check.text`: a string with something besides whitespace in it.
fn text(value: Option<Value>, field: &str) -> Read<String> {
    match value {
        Some(Value::String(text)) if !text.chars().all(is_py_space) => Ok(text),
        _ => Err(LineError::field(field, "must be a non-empty string")),
    }
}

fn optional_text(value: Option<Value>, field: &str) -> Read<Option<String>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        given => text(given, field).map(Some),
    }
}

/// What `str.isspace()` holds for: Unicode's White_Space and the four information
/// separators U+001C to U+001F, which Python counts as well and Rust does not.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `[A-Z]{2}(?:-[A-Z0-9]{1,3})?`, matched whole.
fn is_country(text: &str) -> bool {
    let bytes = text.as_bytes();
    let head = bytes.len() >= 2 && bytes[..2].iter().all(u8::is_ascii_uppercase);
    let tail = &bytes[2.min(bytes.len())..];
    let subdivision = match tail.split_first() {
        None => true,
        Some((b'-', rest)) => {
            (1..=3).contains(&rest.len())
                && rest
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
        Some(_) => false,
    };
    head && subdivision
}

/// `[A-Za-z][A-Za-z0-9_.:-]*`, matched whole (`check.KIND`).
fn is_kind(text: &str) -> bool {
    let mut bytes = text.bytes();
    let first = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    first && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

fn zone_name(value: Option<Value>, calendars: &Calendars) -> Read<String> {
    match value {
        Some(Value::String(name)) if !name.is_empty() => {
            calendars.zone(&name)?;
            Ok(name)
        }
        _ => Err(LineError::field("timezone", "is not a time zone name")),
    }
}

/// An instant given as text, as `timeline.instants.epoch` accepts it.
fn instant(value: Option<Value>, field: &str, calendars: &Calendars) -> Read<Instant> {
    let Some(Value::String(text)) = value else {
        return Err(LineError::field(field, "must be an instant"));
    };
    let seconds = match parse_instant(&text) {
        Some(seconds) => seconds,
        None => calendars.instant(&text, field)?,
    };
    if !(ACCEPTED_SPAN.0..ACCEPTED_SPAN.1).contains(&seconds) {
        return Err(LineError::field(
            field,
            "is outside the years the library handles",
        ));
    }
    Ok(seconds)
}

/// A JSON object, or nothing (null or absent) for an empty one (`frozen_mapping`).
fn mapping(value: Option<Value>, field: &str) -> Read<Map<String, Value>> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(LineError::field(field, "must be a mapping")),
    }
}

/// The channels a customer can be reached on, from `{"email": true}` or `["email"]`;
/// in the order `Channel` declares them, each once.
fn channels(value: Option<Value>) -> Read<Vec<Channel>> {
    let mut reachable = [false; Channel::ALL.len()];
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, flag) in &map {
                let channel = channel(name)?;
                match flag {
                    Value::Bool(flag) => reachable[channel as usize] |= *flag,
                    _ => return Err(LineError::field("channels", "must be true or false")),
                }
            }
        }
        Some(Value::Array(names)) => {
            for name in &names {
                match name {
                    Value::String(name) => reachable[channel(name)? as usize] = true,
                    _ => return Err(LineError::field("channels", "is not a channel")),
                }
            }
        }
        Some(_) => return Err(LineError::field("channels", "must map channel names")),
    }
    let all = Channel::ALL.into_iter();
    Ok(all
        .zip(reachable)
        .filter_map(|(c, on)| on.then_some(c))
        .collect())
}

fn channel(name: &str) -> Read<Channel> {
    Channel::parse(name).ok_or_else(|| LineError::field("channels", "is not a channel"))
}

fn consents(value: Option<Value>) -> Read<BTreeMap<String, bool>> {
    let mut consents = BTreeMap::new();
    for (name, flag) in mapping(value, "consents")? {
        if Category::parse(&name).is_none() && Channel::parse(&name).is_none() {
            return Err(LineError::field(
                "consents",
                "is neither a category nor a channel",
            ));
        }
        match flag {
            Value::Bool(flag) => consents.insert(name, flag),
            _ => return Err(LineError::field("consents", "must be true or false")),
        };
    }
    Ok(consents)
}

// -- JSON, as Python's json module reads it -------------------------------------------------

/// The most levels of arrays and objects one in another (the record is the first): as
/// `MAX_DEPTH` of `outreach_rules/_strict_json.py`, which refuses a deeper line too.
const MAX_DEPTH: usize = 100;
/// The most digits of a whole number, sign aside: as `MAX_DIGITS` of `_strict_json.py`.
const MAX_DIGITS: usize = 100;

/// A recursive-descent reader of JSON text with the grammar of Python's `json.loads`.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    fn document(&mut self) -> Read<Value> {
        self.skip_space();
        let value = self.value(0)?;
        self.skip_space();
        if self.at != self.bytes.len() {
            return Err(LineError::refused("extra data after the JSON value"));
        }
        Ok(value)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Only the four characters `json` skips; a JSON text's other whitespace is an error.
    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Read<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(LineError::refused(format!("expecting {what}")))
        }
    }

    fn value(&mut self, depth: usize) -> Read<Value> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            // NaN, Infinity and -Infinity: Python's json reads them, the library's reader
            // refuses them as the words JSON does not have that they are.
            Some(b'N' | b'I') => Err(LineError::refused("NaN or Infinity")),
            Some(b'-') if self.bytes.get(self.at + 1) == Some(&b'I') => {
                Err(LineError::refused("-Infinity"))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(LineError::refused("expecting a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Read<Value> {
        if self
            .bytes
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()))
        {
            self.at += word.len();
            Ok(value)
        } else {
            Err(LineError::refused("expecting a value"))
        }
    }

    fn deeper(depth: usize) -> Read<()> {
        if depth > MAX_DEPTH {
            return Err(LineError::refused("nests more than MAX_DEPTH levels deep"));
        }
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Read<Value> {
        Self::deeper(depth)?;
        self.at += 1;
        let mut map = Map::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(map));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(LineError::refused("expecting a property name"));
            }
            let key = self.string()?;
            self.skip_space();
            self.expect(b':', "':' delimiter")?;
            self.skip_space();
            let value = self.value(depth)?;
            if map.insert(key, value).is_some() {
                return Err(LineError::refused("a key is given twice in one object"));
            }
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => break,
                _ => return Err(LineError::refused("expecting ',' delimiter")),
            }
            self.skip_space();
        }
        self.at += 1;
        Ok(Value::Object(map))
    }

    fn array(&mut self, depth: usize) -> Read<Value> {
        Self::deeper(depth)?;
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => break,
                _ => return Err(LineError::refused("expecting ',' delimiter")),
            }
            self.skip_space();
        }
        self.at += 1;
        Ok(Value::Array(items))
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`: an int without a fraction or an
    /// exponent, a float with one, as Python makes them.
    fn number(&mut self) -> Read<Value> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(LineError::refused("expecting a value")),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.required_digits()?;
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.required_digits()?;
            float = true;
        }
        let literal = self.text.get(start..self.at).unwrap_or_default();
        if float {
            float_value(literal)
        } else {
            int_value(literal)
        }
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    /// After `.` or an exponent Python wants a digit; without one the number ended before,
    /// and what follows can only be an error.
    fn required_digits(&mut self) -> Read<()> {
        let start = self.at;
        self.digits();
        if self.at == start {
            return Err(LineError::refused("expecting ',' delimiter"));
        }
        Ok(())
    }

    fn string(&mut self) -> Read<String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.at += 1;
            }
            // Stopped at an ASCII byte (or the end), so both ends are character boundaries.
            out.push_str(self.text.get(start..self.at).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape()?),
                Some(_) => return Err(LineError::refused("invalid control character")),
                None => return Err(LineError::refused("unterminated string")),
            }
        }
    }

    fn escape(&mut self) -> Read<char> {
        let letter = self.bytes.get(self.at + 1).copied();
        self.at += 2;
        match letter {
            Some(b'"') => Ok('"'),
            Some(b'\\') => Ok('\\'),
            Some(b'/') => Ok('/'),
            Some(b'b') => Ok('\u{8}'),
            Some(b'f') => Ok('\u{c}'),
            Some(b'n') => Ok('\n'),
            Some(b'r') => Ok('\r'),
            Some(b't') => Ok('\t'),
            Some(b'u') => self.unicode_escape(),
            _ => Err(LineError::refused("invalid \\escape")),
        }
    }

    /// After `\u`: a character, or a surrogate pair written as two escapes. A lone
    /// surrogate is a character to `json` but refused by the library's reader.
    fn unicode_escape(&mut self) -> Read<char> {
        let first = self.hex4()?;
        let code = match first {
            0xd800..=0xdbff => {
                let low = match self.bytes.get(self.at..self.at + 2) {
                    Some(b"\\u") => {
                        self.at += 2;
                        self.hex4()?
                    }
                    _ => return Err(lone_surrogate()),
                };
                if !(0xdc00..=0xdfff).contains(&low) {
                    return Err(lone_surrogate());
                }
                0x10000 + ((first - 0xd800) << 10) + (low - 0xdc00)
            }
            0xdc00..=0xdfff => return Err(lone_surrogate()),
            code => code,
        };
        char::from_u32(code).ok_or_else(lone_surrogate)
    }

    fn hex4(&mut self) -> Read<u32> {
        let digits = self.text.get(self.at..self.at + 4);
        let code = digits
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| LineError::refused("invalid \\uXXXX escape"))?;
        self.at += 4;
        Ok(code)
    }
}

fn lone_surrogate() -> LineError {
    LineError::refused("holds a lone surrogate")
}

fn int_value(literal: &str) -> Read<Value> {
    if literal.trim_start_matches('-').len() > MAX_DIGITS {
        return Err(LineError::refused(
            "a whole number of more than MAX_DIGITS digits",
        ));
    }
    if let Ok(small) = literal.parse::<i64>() {
        return Ok(Value::from(small));
    }
    match literal.parse::<u64>() {
        Ok(large) => Ok(Value::from(large)),
        // Python takes integers of up to MAX_DIGITS digits; serde_json not past 64 bits.
        Err(_) => Err(LineError::doubtful("an integer beyond 64 bits")),
    }
}

fn float_value(literal: &str) -> Read<Value> {
    // Rust's parse rounds correctly, as Python's float() does; an overflow is inf there,
    // which the library's reader refuses.
    match literal.parse::<f64>().ok().and_then(Number::from_f64) {
        Some(number) => Ok(Value::Number(number)),
        None => Err(LineError::refused("a float beyond the finite range")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::{CoreError, Result};
    use crate::time::{Sources, YearTable};
    use std::sync::Arc;

    /// A source that knows only UTC, and parses no instant itself.
    struct UtcOnly;

    impl Sources for UtcOnly {
        fn zone_year(&self, zone: &str, year: i32) -> Result<YearTable> {
            if zone != "UTC" {
                let error = CoreError::time("is not a known time zone");
                return Err(error.field("timezone").value(zone));
            }
            Ok(YearTable {
                starts: vec![year_start(year)],
                offsets: vec![0],
            })
        }

        fn holidays(&self, _: &str, _: Option<&str>, _: i32) -> Result<Vec<i64>> {
            Ok(Vec::new())
        }

        fn instant(&self, text: &str, field: &str) -> Result<Instant> {
            Err(CoreError::time("is not an ISO 8601 instant")
                .field(field)
                .value(text))
        }
    }

    /// The first second of `year`, UTC (days from civil, proleptic Gregorian).
    fn year_start(year: i32) -> Instant {
        let y = i64::from(year) - 1;
        let days = 365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) - 719_162;
        days * 86_400
    }

    pub(crate) fn calendars() -> Calendars {
        Calendars::new(Arc::new(UtcOnly))
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Record {
        Customer,
        Event,
    }
    use Record::{Customer, Event};

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Outcome {
        Read,
        Refused,
        Python,
    }
    use Outcome::{Python, Read, Refused};

    fn outcome(record: Record, line: &str) -> Outcome {
        let calendars = calendars();
        let result = match record {
            Customer => customer_from_line(line.as_bytes(), &calendars).map(drop),
            Event => event_from_line(line.as_bytes(), &calendars).map(drop),
        };
        match result {
            Ok(()) => Read,
            Err(LineError {
                python_decides: true,
                ..
            }) => Python,
            Err(_) => Refused,
        }
    }

    fn s(text: &str) -> String {
        text.to_owned()
    }

    const C: &str =
        "\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"";
    const E: &str = "\"kind\":\"order_placed\",\"at\":\"2020-01-01T00:00:00Z\"";

    fn object(line: &str) -> Map<String, Value> {
        parse_record(line.as_bytes()).expect("the line is read")
    }

    fn refused(line: &[u8]) -> bool {
        matches!(
            parse_record(line),
            Err(LineError {
                python_decides: false,
                ..
            })
        )
    }

    fn doubtful(line: &str) -> bool {
        matches!(
            parse_record(line.as_bytes()),
            Err(LineError {
                python_decides: true,
                ..
            })
        )
    }

    /// Each line with what Python's reader does with it (checked with `contract.Line`).
    #[test]
    fn lines_read_as_python_reads_them() {
        let cases = [
        (Customer, format!("{{{C}}}"), Read),
        (Customer, s("{\"id\":\"c1\",\"id\":\"c2\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":{{\"b\":1,\"b\":2}}}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":\"\\ud800\"}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"\\udc00\":1}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":\"\\ud800\\u0041\"}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":\"\\ud800x\"}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":[\"\\ud83d\\ude00\"]}}}}"), Read),
        (Customer, format!("{{{C},\"name\":\"x\"}}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GB\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":null}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"1800-12-31T23:59:59Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"1801-01-01T00:00:00Z\"}"), Read),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2399-12-31T23:59:59Z\"}"), Read),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2400-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":1577836800}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"gb\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"GBR\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"US-FLOR\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"US-\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"US-fl\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"US-FL1\",\"since\":\"2020-01-01T00:00:00Z\"}"), Read),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"G\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, format!("{{{C},\"channels\":{{\"fax\":true}}}}"), Refused),
        (Customer, format!("{{{C},\"channels\":{{\"email\":\"yes\"}}}}"), Refused),
        (Customer, format!("{{{C},\"channels\":{{\"email\":1}}}}"), Refused),
        (Customer, format!("{{{C},\"channels\":[\"email\",\"fax\"]}}"), Refused),
        (Customer, format!("{{{C},\"channels\":\"email\"}}"), Refused),
        (Customer, format!("{{{C},\"channels\":1}}"), Refused),
        (Customer, format!("{{{C},\"channels\":true}}"), Refused),
        (Customer, format!("{{{C},\"channels\":[1]}}"), Refused),
        (Customer, format!("{{{C},\"channels\":[\"email\",\"email\",\"sms\"]}}"), Read),
        (Customer, format!("{{{C},\"channels\":{{\"sms\":true,\"email\":false,\"push\":true}}}}"), Read),
        (Customer, format!("{{{C},\"channels\":null,\"consents\":null,\"attributes\":null}}"), Read),
        (Customer, format!("{{{C},\"consents\":{{\"marketing\":true,\"sms\":false}}}}"), Read),
        (Customer, format!("{{{C},\"consents\":{{\"newsletter\":true}}}}"), Refused),
        (Customer, format!("{{{C},\"consents\":{{\"marketing\":1}}}}"), Refused),
        (Customer, format!("{{{C},\"consents\":[]}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":[]}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"n\":1,\"f\":1.0,\"z\":-0,\"e\":1E2,\"m\":-0.0,\"big\":18446744073709551615,\"low\":-9223372036854775808,\"s\":\"\\u00e9\\/\"}}}}"), Read),
        (Customer, format!("{{{C},\"attributes\":{{\"x\":NaN}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"x\":-Infinity}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"x\":18446744073709551616}}}}"), Python),
        (Customer, format!("{{{C},\"attributes\":{{\"x\":1e400}}}}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"UK\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"ZZ-1\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"UTC\",\"country\":\"XK\",\"since\":\"2020-01-01T00:00:00Z\"}"), Read),
        (Customer, s("{\"id\":\"  \",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"\\u001c\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"\\u00a0x\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"}"), Read),
        (Customer, s("{\"id\":\"\",\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":1,\"timezone\":\"UTC\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"Mars/Base\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":\"\",\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, s("{\"id\":\"c1\",\"timezone\":5,\"country\":\"GB\",\"since\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Customer, format!(" \u{9}{{{C}}}\u{d}\u{a}"), Read),
        (Customer, format!("{{{C},}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":[1,]}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":01}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":1.}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":.5}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":+1}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":1e}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":-}}}}"), Refused),
        (Customer, format!("{{{C},'attributes':{{}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":\"\\x\"}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":\"\\u12\"}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":\"tab\u{9}here\"}}}}"), Refused),
        (Customer, format!("\u{feff}{{{C}}}"), Refused),
        (Customer, format!("{{{C}}} {{}}"), Refused),
        (Customer, format!("[{{{C}}}]"), Refused),
        (Customer, format!("\u{a0}{{{C}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":True}}}}"), Refused),
        (Customer, format!("{{{C},\"attributes\":{{\"a\":nul}}}}"), Refused),
        (Event, format!("{{{E}}}"), Read),
        (Event, s("{\"kind\":\"1abc\",\"at\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Event, s("{\"kind\":\"crm:lead.won-2_x\",\"at\":\"2020-01-01T00:00:00Z\"}"), Read),
        (Event, s("{\"kind\":\"a b\",\"at\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Event, s("{\"kind\":\"k\\u00e9\",\"at\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Event, format!("{{{E},\"customer\":\"\"}}"), Refused),
        (Event, format!("{{{E},\"customer\":null,\"ref\":null,\"id\":null,\"data\":null}}"), Read),
        (Event, format!("{{{E},\"ref\":\" \"}}"), Refused),
        (Event, format!("{{{E},\"id\":7}}"), Refused),
        (Event, format!("{{{E},\"customer\":\"c1\",\"ref\":\"o-1\",\"id\":\"e1\",\"data\":{{\"items\":[{{\"sku\":\"a\",\"qty\":2}}],\"total\":9.5,\"gift\":false,\"note\":null}}}}"), Read),
        (Event, format!("{{{E},\"data\":\"x\"}}"), Refused),
        (Event, format!("{{{E},\"when\":\"x\"}}"), Refused),
        (Event, s("{\"at\":\"2020-01-01T00:00:00Z\"}"), Refused),
        (Event, s("{\"kind\":\"k\",\"at\":\"2020-01-01T00:00:00+05:30\"}"), Read),
        ];
        for (record, line, expected) in cases {
            assert_eq!(outcome(record, &line), expected, "{line}");
        }
    }

    #[test]
    fn a_key_given_twice_is_refused_at_any_depth() {
        assert!(refused(br#"{"a":1,"a":1}"#));
        assert!(refused(br#"{"a":{"b":1,"\u0062":2}}"#));
        assert!(refused(br#"{"a":[{"x":1,"y":2,"x":3}]}"#));
        assert_eq!(object(r#"{"a":{"a":{"a":1}}}"#).len(), 1);
    }

    #[test]
    fn lone_surrogates_are_refused_and_pairs_read() {
        for line in [
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udfff"}"#,
            r#"{"\ud83d":1}"#,
            r#"{"a":"\ud800\u0041"}"#,
            r#"{"a":"\ude00\ud83d"}"#,
            r#"{"a":"\ud800\n"}"#,
        ] {
            assert!(refused(line.as_bytes()), "{line}");
        }
        let read = object(r#"{"a":"x\ud83d\ude00y","\uD83D\uDE00":"\u00e9\/"}"#);
        assert_eq!(read.get("a"), Some(&Value::from("x\u{1f600}y")));
        assert_eq!(read.get("\u{1f600}"), Some(&Value::from("\u{e9}/")));
    }

    #[test]
    fn numbers_keep_python_types() {
        let read = object(
            r#"{"i":1,"f":1.0,"z":-0,"m":-0.0,"e":1E2,"u":18446744073709551615,"n":-9223372036854775808,"t":1e-400}"#,
        );
        let number = |key: &str| read.get(key).and_then(Value::as_number).cloned();
        assert_eq!(number("i"), Some(Number::from(1)));
        assert_eq!(number("f").and_then(|n| n.as_f64()), Some(1.0));
        assert!(number("f").is_some_and(|n| n.is_f64()));
        assert_eq!(number("z"), Some(Number::from(0)));
        assert!(number("m")
            .and_then(|n| n.as_f64())
            .is_some_and(|m| m == 0.0 && m.is_sign_negative()));
        assert_eq!(number("e").and_then(|n| n.as_f64()), Some(100.0));
        assert_eq!(number("u"), Some(Number::from(u64::MAX)));
        assert_eq!(number("n"), Some(Number::from(i64::MIN)));
        assert_eq!(number("t").and_then(|n| n.as_f64()), Some(0.0));
        for line in [
            r#"{"a":-18446744073709551616}"#,
            r#"{"a":18446744073709551616}"#,
        ] {
            assert!(doubtful(line), "{line}");
        }
    }

    /// Python's `json` reads these as floats; the library's reader refuses them, so the
    /// core does too rather than leave the line to Python.
    #[test]
    fn nan_infinity_and_infinite_floats_are_refused() {
        for line in [
            r#"{"a":NaN}"#,
            r#"{"a":Infinity}"#,
            r#"{"a":-Infinity}"#,
            r#"{"a":[1,{"b":NaN}]}"#,
            r#"{"a":1e309}"#,
            r#"{"a":-1e309}"#,
            r#"{"a":1e400}"#,
        ] {
            assert!(refused(line.as_bytes()), "{line}");
        }
        assert!(object(r#"{"a":1e308,"b":-1e308,"c":1e-400}"#).contains_key("c"));
    }

    #[test]
    fn countries_are_iso_3166_codes_with_or_without_a_subdivision() {
        assert!(COUNTRIES.windows(2).all(|pair| pair[0] < pair[1]));
        let country = |code: &str| {
            let line = format!(
                r#"{{"id":"c1","timezone":"UTC","country":"{code}","since":"2020-01-01T00:00:00Z"}}"#
            );
            outcome(Customer, &line)
        };
        for code in ["GB", "US", "US-FL", "AU-NSW", "XK", "ZW", "AD"] {
            assert_eq!(country(code), Read, "{code}");
        }
        for code in ["UK", "EU", "ZZ", "XX", "AA", "UK-ENG", "QO"] {
            assert_eq!(country(code), Refused, "{code}");
        }
    }

    /// A byte-order mark is no JSON: Python's reader names it in its error.
    #[test]
    fn a_byte_order_mark_is_refused() {
        assert!(refused(b"\xef\xbb\xbf{\"a\":1}"));
        assert_eq!(outcome(Customer, &format!("\u{feff}{{{C}}}")), Refused);
    }

    #[test]
    fn syntax_python_refuses_is_refused() {
        let lines: [&[u8]; 18] = [
            b"",
            b"   ",
            b"{",
            br#"{"a":1,}"#,
            br#"{"a":[1,]}"#,
            br#"{"a":01}"#,
            br#"{"a":1.}"#,
            br#"{"a":-}"#,
            br#"{'a':1}"#,
            br#"{"a":"\x"}"#,
            br#"{"a":"\u12g4"}"#,
            b"{\"a\":\"tab\there\"}",
            b"\xef\xbb\xbf{}",
            b"{} {}",
            b"[]",
            b"{\"a\":\"\xff\"}",
            b"\x0c{}",
            b"{\"a\":\"\xed\xa0\x80\"}",
        ];
        for line in lines {
            assert!(refused(line), "{}", String::from_utf8_lossy(line));
        }
        assert!(object(" \t{ \"a\" : [ 1 , { } ] }\r\n").contains_key("a"));
    }

    #[test]
    fn nesting_past_the_limit_is_refused() {
        let nested = |depth: usize| {
            format!(
                "{}{}1{}}}",
                "{\"a\":".repeat(depth),
                "[",
                "]".to_owned() + &"}".repeat(depth - 1)
            )
        };
        // `nested(n)` is n objects and an array: n + 1 levels.
        assert!(parse_record(nested(MAX_DEPTH - 1).as_bytes()).is_ok());
        assert!(refused(nested(MAX_DEPTH).as_bytes()));
        assert!(refused(nested(100_000).as_bytes()));
        let arrays = |depth: usize| format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        assert!(refused(arrays(100_000).as_bytes()));
        // Brackets in a string are text.
        assert!(parse_record(format!("{{\"a\":\"{}\"}}", "[".repeat(500)).as_bytes()).is_ok());
    }

    #[test]
    fn whole_numbers_past_the_limit_are_refused() {
        let digits = |n: usize| "9".repeat(n);
        for sign in ["", "-"] {
            let at = format!("{{\"a\":{sign}{}}}", digits(MAX_DIGITS));
            assert!(doubtful(&at), "{at}");
            let past = format!("{{\"a\":{sign}{}}}", digits(MAX_DIGITS + 1));
            assert!(refused(past.as_bytes()), "{past}");
            assert!(refused(
                format!("{{\"a\":{sign}{}}}", digits(5_000)).as_bytes()
            ));
        }
        // A float of many digits is a float; a string of digits is text.
        assert!(parse_record(format!("{{\"a\":{}.5}}", digits(300)).as_bytes()).is_ok());
        assert!(parse_record(format!("{{\"a\":\"{}\"}}", digits(5_000)).as_bytes()).is_ok());
    }

    #[test]
    fn fields_are_checked_before_any_instant() {
        let cases = [
            (Customer, format!("{{{C},\"name\":\"x\"}}")),
            (
                Customer,
                s(r#"{"id":"c1","timezone":"UTC","country":"GB"}"#),
            ),
            (
                Customer,
                s(r#"{"id":"c1","timezone":"UTC","country":"GB","since":null}"#),
            ),
            (
                Customer,
                s(r#"{"id":"c1","timezone":"UTC","country":"US-fl","since":"x"}"#),
            ),
            (
                Customer,
                s(r#"{"id":"c1","timezone":"Mars/Base","country":"GB","since":"x"}"#),
            ),
            (Customer, format!("{{{C},\"channels\":{{\"fax\":true}}}}")),
            (Customer, format!("{{{C},\"channels\":[\"email\",1]}}")),
            (
                Customer,
                format!("{{{C},\"consents\":{{\"newsletter\":true}}}}"),
            ),
            (
                Customer,
                s(r#"{"id":"\u001f","timezone":"UTC","country":"GB","since":"x"}"#),
            ),
            (Event, s(r#"{"kind":"ké","at":"x"}"#)),
            (Event, s(r#"{"kind":"k","at":"x","ref":" "}"#)),
            (Event, s(r#"{"kind":"k","at":"x","data":[]}"#)),
        ];
        for (record, line) in cases {
            assert_eq!(outcome(record, &line), Refused, "{line}");
        }
    }

    #[test]
    fn records_read_into_values() {
        let line = format!(
            "{{{C},\"channels\":{{\"sms\":true,\"email\":false,\"push\":true}},\"consents\":{{\"sms\":false,\"marketing\":true}},\"attributes\":{{\"tier\":\"gold\",\"n\":[1,2.5,null]}}}}"
        );
        let customer = customer_from_line(line.as_bytes(), &calendars()).expect("a customer");
        assert_eq!(customer.id, "c1");
        assert_eq!(customer.since, 1_577_836_800);
        assert_eq!(customer.channels, vec![Channel::Sms, Channel::Push]);
        let consents: Vec<_> = customer.consents.into_iter().collect();
        assert_eq!(consents, vec![(s("marketing"), true), (s("sms"), false)]);
        assert_eq!(
            customer.attributes.get("n"),
            Some(&serde_json::json!([1, 2.5, null]))
        );
        let line = format!("{{{E},\"customer\":\" c\",\"data\":{{\"items\":[{{\"sku\":\"a\",\"qty\":2}}],\"total\":9.5}}}}");
        let event = event_from_line(line.as_bytes(), &calendars()).expect("an event");
        assert_eq!(event.customer.as_deref(), Some(" c"));
        assert_eq!((event.reference, event.id), (None, None));
        let data = serde_json::json!({"items": [{"sku": "a", "qty": 2}], "total": 9.5});
        assert_eq!(Value::Object(event.data), data);
    }

    #[test]
    fn kinds_the_policy_does_not_know_are_reported_or_refused() {
        let read = |kind: &str| {
            let line = format!(r#"{{"kind":"{kind}","at":"2020-01-01T00:00:00Z"}}"#);
            event_from_line(line.as_bytes(), &calendars()).expect("an event")
        };
        let known = || ["order_delivered", "contact_sent"].map(s);
        let warn = Kinds::new(known(), false);
        assert_eq!(warn.check(&read("order_delivered")), Ok(true));
        assert_eq!(warn.check(&read("contact_sent")), Ok(true));
        assert_eq!(warn.check(&read("order_delivred")), Ok(false));
        assert_eq!(warn.check(&read("Order_Delivered")), Ok(false));
        let refuse = Kinds::new(known(), true);
        assert_eq!(refuse.check(&read("order_delivered")), Ok(true));
        let refused = refuse.check(&read("order_delivred")).expect_err("refused");
        assert!(!refused.python_decides);
        assert!(refused.reason.starts_with("kind: "), "{refused}");
        assert_eq!(Kinds::default().check(&read("x")), Ok(false));
    }

    #[test]
    fn blank_lines_are_what_python_skips() {
        assert!(is_blank(b""));
        assert!(is_blank(b" \t\r\n"));
        assert!(is_blank("\u{1c}\u{a0}\u{2028}\u{3000}\n".as_bytes()));
        assert!(!is_blank(b"{}"));
        assert!(!is_blank(b"\x00"));
        assert!(!is_blank(b"\xff"));
    }
}
