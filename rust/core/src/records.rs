//! The data contract out: decision records as JSON Lines or CSV, byte for byte as
//! `RawDecision.record()` and `write_records` of `outreach_rules/_parts.py` write them.

use crate::error::Result;
use crate::model::{Channel, Customer, Effect, Instant, RawDecision, Status, Step};
use crate::time::instants::{iso_date, put_two, Text};
use crate::time::{Zone, DAY};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// The columns of the CSV form, in order (Python's `CSV_COLUMNS`).
pub const CSV_COLUMNS: [&str; 9] = [
    "id",
    "customer",
    "intent",
    "ref",
    "status",
    "send_at",
    "local_send_at",
    "channel",
    "trace",
];

/// How records are written: one JSON object a line, or CSV rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Jsonl,
    Csv,
}

/// How much of each decision's trace a record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceLevel {
    /// Every step, as `RawDecision.record()` gives it.
    Full,
    /// Every step with a reason code and its parameters in place of the sentence, as
    /// `RawDecision.record(trace="compact")` gives it: `{"rule":..,"effect":..,"from":..,
    /// "to":..,"code":..,"params":{..}}` (`outreach_rules.full_record` renders it back).
    Compact,
    /// No trace: in JSON Lines the `trace` key is left out of the record
    /// (`{...,"channel":"email"}`); in CSV the `trace` cell is empty, as a null cell is.
    None,
}

/// Write the records of one customer's decisions, in order, to `out`.
pub fn write_decisions(
    out: &mut Vec<u8>,
    customer: &Customer,
    zone: &Zone,
    decisions: &[RawDecision],
    form: Form,
    trace: TraceLevel,
) -> Result<()> {
    let mut scratch = Vec::new();
    for decision in decisions {
        let record = Record {
            id: &decision.id,
            customer: &customer.id,
            intent: &decision.intent,
            intent_plain: false,
            reference: decision.reference.as_deref(),
            status: decision.status,
            send_at: decision.send_at,
            channel: decision.channel,
        };
        let steps = decision.steps.iter().map(StepText::of);
        write_record(out, &mut scratch, zone, &record, steps, form, trace)?;
    }
    Ok(())
}

/// Write the CSV header row.
pub fn csv_header(out: &mut Vec<u8>) {
    for (index, column) in CSV_COLUMNS.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_csv_field(out, column.as_bytes());
    }
    out.push(b'\n');
}

/// A decision as its record shows it, before the trace.
pub(crate) struct Record<'a> {
    pub id: &'a str,
    pub customer: &'a str,
    pub intent: &'a str,
    /// Whether `intent` is known to have no character JSON escapes.
    pub intent_plain: bool,
    pub reference: Option<&'a str>,
    pub status: Status,
    pub send_at: Option<Instant>,
    pub channel: Option<Channel>,
}

/// A step as a record's trace shows it; a text known to have no character JSON escapes
/// is written without looking.
pub(crate) struct StepText<'a> {
    pub rule: &'a str,
    pub rule_plain: bool,
    pub effect: Effect,
    pub why: &'a str,
    pub why_plain: bool,
    pub before: Option<Instant>,
    pub after: Option<Instant>,
    pub reason: Reason<&'a str>,
}

impl<'a> StepText<'a> {
    fn of(step: &'a Step) -> Self {
        StepText {
            rule: &step.rule,
            rule_plain: false,
            effect: step.effect,
            why: &step.why,
            why_plain: false,
            before: step.before,
            after: step.after,
            reason: step.reason.as_deref(),
        }
    }
}

/// Why a step was taken, as data: a reason code and the parameters its sentence is
/// rendered from, with the policy and the customer (Python's `outreach_rules._reasons`).
/// Texts are `S`: borrowed while planning, owned in a [`Step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason<S> {
    /// `proposed`: the trigger (the step's rule) proposed, from `basis` at `at`.
    Proposed { basis: S, at: Option<Instant> },
    /// `waits`: no time yet, until an event of this kind.
    Waits { kind: S },
    /// `plan_now`: the earliest time had passed.
    PlanNow,
    /// `guard`: the guard (the step's rule) built for `channel`, or for every channel.
    Guard { channel: Option<Channel> },
    /// `blocked` or `lapses`: why no instant was found whatever the channel.
    Stop(Stop<S>),
    /// `skipped`: the channel `on` could not carry it, and why.
    Skipped { on: Channel, stop: Stop<S> },
    /// `lapsed_everywhere`: every channel's first allowed time is after `at`.
    LapsedEverywhere { at: Instant },
    /// `no_channel`: none of the intent's channels can carry it.
    NoChannel,
    /// `chose`: the decision's channel, after those passed over.
    Chose { passed: Passed },
}

/// Why a settlement found no instant (Python's `_stop_text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop<S> {
    /// `blocked`: the guard (the step's rule), built for `channel` or for every channel,
    /// allows nothing more; until an event of kind `waits_for`, if any.
    Blocked {
        channel: Option<Channel>,
        waits_for: Option<S>,
    },
    /// `lapses`: the first allowed time is after the expiry `at`; `moved` says whether a
    /// guard (the step's rule, built for `channel` or for every channel) moved it last.
    Lapses {
        at: Instant,
        channel: Option<Channel>,
        moved: bool,
    },
}

/// The channels passed over before the one chosen, in order; each channel at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Passed {
    len: u8,
    channels: [Channel; Channel::ALL.len()],
}

impl Default for Passed {
    fn default() -> Self {
        Passed {
            len: 0,
            channels: Channel::ALL,
        }
    }
}

impl Passed {
    /// Add `channel`; past as many channels as there are, it is left out.
    pub fn push(&mut self, channel: Channel) {
        if let Some(slot) = self.channels.get_mut(usize::from(self.len)) {
            *slot = channel;
            self.len += 1;
        }
    }

    pub fn as_slice(&self) -> &[Channel] {
        &self.channels[..usize::from(self.len)]
    }
}

impl<S> Stop<S> {
    fn code(&self) -> &'static str {
        match self {
            Stop::Blocked { .. } => "blocked",
            Stop::Lapses { .. } => "lapses",
        }
    }
}

impl<S: AsRef<str>> Stop<S> {
    fn as_deref(&self) -> Stop<&str> {
        match self {
            Stop::Blocked { channel, waits_for } => Stop::Blocked {
                channel: *channel,
                waits_for: waits_for.as_ref().map(AsRef::as_ref),
            },
            Stop::Lapses { at, channel, moved } => Stop::Lapses {
                at: *at,
                channel: *channel,
                moved: *moved,
            },
        }
    }
}

impl<S> Reason<S> {
    /// The reason code, as the compact trace writes it.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Proposed { .. } => "proposed",
            Reason::Waits { .. } => "waits",
            Reason::PlanNow => "plan_now",
            Reason::Guard { .. } => "guard",
            Reason::Stop(stop) => stop.code(),
            Reason::Skipped { .. } => "skipped",
            Reason::LapsedEverywhere { .. } => "lapsed_everywhere",
            Reason::NoChannel => "no_channel",
            Reason::Chose { .. } => "chose",
        }
    }
}

impl<S: AsRef<str>> Reason<S> {
    /// The reason with its texts borrowed.
    pub fn as_deref(&self) -> Reason<&str> {
        match self {
            Reason::Proposed { basis, at } => Reason::Proposed {
                basis: basis.as_ref(),
                at: *at,
            },
            Reason::Waits { kind } => Reason::Waits {
                kind: kind.as_ref(),
            },
            Reason::PlanNow => Reason::PlanNow,
            Reason::Guard { channel } => Reason::Guard { channel: *channel },
            Reason::Stop(stop) => Reason::Stop(stop.as_deref()),
            Reason::Skipped { on, stop } => Reason::Skipped {
                on: *on,
                stop: stop.as_deref(),
            },
            Reason::LapsedEverywhere { at } => Reason::LapsedEverywhere { at: *at },
            Reason::NoChannel => Reason::NoChannel,
            Reason::Chose { passed } => Reason::Chose { passed: *passed },
        }
    }

    /// The reason with its texts owned, for a [`Step`].
    pub fn to_owned(&self) -> Reason<String> {
        match self.as_deref() {
            Reason::Proposed { basis, at } => Reason::Proposed {
                basis: basis.to_owned(),
                at,
            },
            Reason::Waits { kind } => Reason::Waits {
                kind: kind.to_owned(),
            },
            Reason::PlanNow => Reason::PlanNow,
            Reason::Guard { channel } => Reason::Guard { channel },
            Reason::Stop(stop) => Reason::Stop(owned_stop(stop)),
            Reason::Skipped { on, stop } => Reason::Skipped {
                on,
                stop: owned_stop(stop),
            },
            Reason::LapsedEverywhere { at } => Reason::LapsedEverywhere { at },
            Reason::NoChannel => Reason::NoChannel,
            Reason::Chose { passed } => Reason::Chose { passed },
        }
    }
}

fn owned_stop(stop: Stop<&str>) -> Stop<String> {
    match stop {
        Stop::Blocked { channel, waits_for } => Stop::Blocked {
            channel,
            waits_for: waits_for.map(str::to_owned),
        },
        Stop::Lapses { at, channel, moved } => Stop::Lapses { at, channel, moved },
    }
}

/// A value of a reason's parameters: what a compact trace writes, and the raw JSON
/// (instants as seconds) gives Python's `raw_decision`.
enum Param<'a> {
    Text(Option<&'a str>),
    Channel(Option<Channel>),
    At(Option<Instant>),
    Flag(bool),
    Channels(&'a [Channel]),
}

impl Reason<&str> {
    /// The parameters, in the order the compact trace writes them, handed to `put`.
    fn params(&self, mut put: impl FnMut(&'static str, Param)) {
        match self {
            Reason::Proposed { basis, at } => {
                put("basis", Param::Text(Some(basis)));
                put("at", Param::At(*at));
            }
            Reason::Waits { kind } => put("for", Param::Text(Some(kind))),
            Reason::Guard { channel } => put("channel", Param::Channel(*channel)),
            Reason::Stop(stop) => stop_params(stop, &mut put),
            Reason::Skipped { on, stop } => {
                put("on", Param::Channel(Some(*on)));
                put("stop", Param::Text(Some(stop.code())));
                stop_params(stop, &mut put);
            }
            Reason::LapsedEverywhere { at } => put("at", Param::At(Some(*at))),
            Reason::Chose { passed } => put("passed", Param::Channels(passed.as_slice())),
            Reason::PlanNow | Reason::NoChannel => {}
        }
    }
}

fn stop_params(stop: &Stop<&str>, put: &mut impl FnMut(&'static str, Param)) {
    match stop {
        Stop::Blocked { channel, waits_for } => {
            put("channel", Param::Channel(*channel));
            put("waits_for", Param::Text(waits_for.as_deref()));
        }
        Stop::Lapses { at, channel, moved } => {
            put("at", Param::At(Some(*at)));
            put("channel", Param::Channel(*channel));
            put("moved", Param::Flag(*moved));
        }
    }
}

/// The reason as `"code":..,"params":{..}` in the raw JSON of a step: instants as
/// seconds, as the Python planner keeps them.
impl<S: AsRef<str>> Serialize for Reason<S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> std::result::Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("code", self.code())?;
        map.serialize_entry("params", &RawParams(self.as_deref()))?;
        map.end()
    }
}

struct RawParams<'a>(Reason<&'a str>);

impl Serialize for RawParams<'_> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> std::result::Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut result = Ok(());
        self.0.params(|key, value| {
            if result.is_err() {
                return;
            }
            result = match value {
                Param::Text(text) => map.serialize_entry(key, &text),
                Param::Channel(channel) => map.serialize_entry(key, &channel.map(Channel::as_str)),
                Param::At(at) => map.serialize_entry(key, &at),
                Param::Flag(flag) => map.serialize_entry(key, &flag),
                Param::Channels(channels) => {
                    let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
                    map.serialize_entry(key, &names)
                }
            };
        });
        result?;
        map.end()
    }
}

/// Write one record in `form`; `scratch` is a buffer for the CSV trace cell.
pub(crate) fn write_record<'a>(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    zone: &Zone,
    record: &Record,
    steps: impl Iterator<Item = StepText<'a>>,
    form: Form,
    trace: TraceLevel,
) -> Result<()> {
    let cells = Cells::of(record, zone)?;
    match form {
        Form::Jsonl => write_json_record(out, &cells, steps, trace),
        Form::Csv => write_csv_row(out, &cells, steps, trace, scratch),
    }
    Ok(())
}

/// The cells of a record before the trace, in column order; None is JSON null.
struct Cells<'a> {
    id: &'a str,
    customer: &'a str,
    intent: &'a str,
    intent_plain: bool,
    reference: Option<&'a str>,
    status: &'static str,
    send_at: Option<Text>,
    local_send_at: Option<Text>,
    channel: Option<&'static str>,
}

impl<'a> Cells<'a> {
    fn of(record: &Record<'a>, zone: &Zone) -> Result<Self> {
        let local_send_at = match record.send_at {
            Some(at) => Some(Text::iso_local(at, zone)?),
            None => None,
        };
        Ok(Cells {
            id: record.id,
            customer: record.customer,
            intent: record.intent,
            intent_plain: record.intent_plain,
            reference: record.reference,
            status: record.status.as_str(),
            send_at: record.send_at.map(Text::iso_utc),
            local_send_at,
            channel: record.channel.map(|c| c.as_str()),
        })
    }

    fn in_order(&self) -> [(&'static str, Option<&str>); 8] {
        [
            ("id", Some(self.id)),
            ("customer", Some(self.customer)),
            ("intent", Some(self.intent)),
            ("ref", self.reference),
            ("status", Some(self.status)),
            ("send_at", self.send_at.as_ref().map(Text::as_str)),
            (
                "local_send_at",
                self.local_send_at.as_ref().map(Text::as_str),
            ),
            ("channel", self.channel),
        ]
    }
}

fn write_json_record<'a>(
    out: &mut Vec<u8>,
    cells: &Cells,
    steps: impl Iterator<Item = StepText<'a>>,
    trace: TraceLevel,
) {
    // Keys, statuses, instants and channels need no escaping: they are written as they are.
    out.extend_from_slice(b"{\"id\":");
    write_json_str(out, cells.id);
    out.extend_from_slice(b",\"customer\":");
    write_json_str(out, cells.customer);
    out.extend_from_slice(b",\"intent\":");
    write_json_known(out, cells.intent, cells.intent_plain);
    out.extend_from_slice(b",\"ref\":");
    write_json_opt(out, cells.reference);
    out.extend_from_slice(b",\"status\":\"");
    out.extend_from_slice(cells.status.as_bytes());
    out.extend_from_slice(b"\",\"send_at\":");
    write_json_text(out, cells.send_at.as_ref());
    out.extend_from_slice(b",\"local_send_at\":");
    write_json_text(out, cells.local_send_at.as_ref());
    out.extend_from_slice(b",\"channel\":");
    write_json_channel(out, cells.channel);
    match trace {
        TraceLevel::Full | TraceLevel::Compact => {
            out.extend_from_slice(b",\"trace\":");
            write_json_trace(out, steps, trace);
        }
        TraceLevel::None => {}
    }
    out.extend_from_slice(b"}\n");
}

fn write_json_trace<'a>(
    out: &mut Vec<u8>,
    steps: impl Iterator<Item = StepText<'a>>,
    trace: TraceLevel,
) {
    let mut instants = UtcInstants::default();
    out.push(b'[');
    for (index, step) in steps.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        match trace {
            TraceLevel::Compact => write_compact_step(out, &step),
            TraceLevel::Full | TraceLevel::None => write_json_step(out, &step, &mut instants),
        }
    }
    out.push(b']');
}

fn write_json_step(out: &mut Vec<u8>, step: &StepText, instants: &mut UtcInstants) {
    out.extend_from_slice(b"{\"rule\":");
    write_json_known(out, step.rule, step.rule_plain);
    out.extend_from_slice(b",\"effect\":\"");
    out.extend_from_slice(step.effect.as_str().as_bytes());
    out.extend_from_slice(b"\",\"from\":");
    instants.write(out, step.before);
    out.extend_from_slice(b",\"to\":");
    instants.write(out, step.after);
    out.extend_from_slice(b",\"why\":");
    write_json_known(out, step.why, step.why_plain);
    out.push(b'}');
}

/// A compact step, `[rule, effect, from, to, code, params...]`, instants as seconds, as
/// orjson writes Python's.
fn write_compact_step(out: &mut Vec<u8>, step: &StepText) {
    out.push(b'[');
    write_json_known(out, step.rule, step.rule_plain);
    // Effects, codes, keys and channels need no escaping.
    out.extend_from_slice(b",\"");
    out.extend_from_slice(step.effect.as_str().as_bytes());
    out.extend_from_slice(b"\",");
    write_seconds(out, step.before);
    out.push(b',');
    write_seconds(out, step.after);
    out.extend_from_slice(b",\"");
    out.extend_from_slice(step.reason.code().as_bytes());
    out.push(b'"');
    step.reason.params(|_, value| {
        out.push(b',');
        match value {
            Param::Text(text) => write_json_opt(out, text),
            Param::Channel(channel) => write_json_channel(out, channel.map(Channel::as_str)),
            Param::At(at) => write_seconds(out, at),
            Param::Flag(flag) => out.extend_from_slice(if flag { b"true" } else { b"false" }),
            Param::Channels(channels) => {
                out.push(b'[');
                for (index, channel) in channels.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    write_json_channel(out, Some(channel.as_str()));
                }
                out.push(b']');
            }
        }
    });
    out.push(b']');
}

/// An instant as whole seconds since the epoch, or null.
fn write_seconds(out: &mut Vec<u8>, instant: Option<Instant>) {
    match instant {
        Some(seconds) => {
            let mut digits = [0u8; 20];
            let mut at = digits.len();
            let mut rest = seconds.unsigned_abs();
            loop {
                at -= 1;
                digits[at] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
            if seconds < 0 {
                out.push(b'-');
            }
            out.extend_from_slice(&digits[at..]);
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// A channel's name (which needs no escaping), or null.
fn write_json_channel(out: &mut Vec<u8>, channel: Option<&str>) {
    match channel {
        Some(name) => write_json_known(out, name, true),
        None => out.extend_from_slice(b"null"),
    }
}

/// `text` as a JSON string, copied as it is when known to be `plain`.
fn write_json_known(out: &mut Vec<u8>, text: &str, plain: bool) {
    if !plain {
        return write_json_str(out, text);
    }
    out.reserve(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

/// Writes instants as JSON strings of ISO 8601 in UTC (or null), keeping the last
/// one written and its date: a trace's instants repeat (one step ends where the next
/// begins) and fall on few days.
#[derive(Default)]
struct UtcInstants {
    day: Option<(i64, [u8; 10])>,
    last: Option<(Instant, [u8; 27])>,
}

impl UtcInstants {
    fn write(&mut self, out: &mut Vec<u8>, instant: Option<Instant>) {
        let Some(instant) = instant else {
            out.extend_from_slice(b"null");
            return;
        };
        if let Some((last, text)) = &self.last {
            if *last == instant {
                return out.extend_from_slice(text);
            }
        }
        let day = instant.div_euclid(DAY);
        let date = match self.day {
            Some((known, date)) if known == day => date,
            _ => match iso_date(day) {
                Some(date) => {
                    self.day = Some((day, date));
                    date
                }
                None => return write_json_text(out, Some(&Text::iso_utc(instant))),
            },
        };
        let time = instant.rem_euclid(DAY);
        let mut text = *b"\"0000-00-00T00:00:00+00:00\"";
        text[1..11].copy_from_slice(&date);
        put_two(&mut text, 12, time / 3_600);
        put_two(&mut text, 15, time % 3_600 / 60);
        put_two(&mut text, 18, time % 60);
        out.extend_from_slice(&text);
        self.last = Some((instant, text));
    }
}

/// An instant's text, which needs no escaping, or null.
fn write_json_text(out: &mut Vec<u8>, text: Option<&Text>) {
    match text {
        Some(text) => {
            out.push(b'"');
            out.extend_from_slice(text.as_bytes());
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

fn write_json_opt(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => write_json_str(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// Write `text` as a JSON string the way orjson does.
///
/// Only `"`, `\\` and the C0 controls are escaped: everything else, DEL and U+2028
/// included, is written as raw UTF-8, as `json.dumps(..., ensure_ascii=False)` also does.
pub fn write_json_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.push(b'"');
    let mut start = 0;
    while let Some(found) = first_to_escape(&bytes[start..]) {
        let index = start + found;
        out.extend_from_slice(&bytes[start..index]);
        write_escape(out, bytes[index]);
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether `text` is written in JSON as it is, with no character to escape.
pub(crate) fn is_plain(text: &str) -> bool {
    first_to_escape(text.as_bytes()).is_none()
}

fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// The position of the first byte JSON must escape, if any.
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    // Most texts need no escaping at all: whole blocks are tested without branching
    // (the compiler turns this into vector compares), and only a block that has such a
    // byte is searched. The last block may overlap the one before it.
    const BLOCK: usize = 16;
    let len = bytes.len();
    if len < BLOCK {
        return first_to_escape_short(bytes);
    }
    let block_has = |at: usize| {
        bytes[at..at + BLOCK]
            .iter()
            .fold(false, |any, &b| any | needs_escape(b))
    };
    let mut at = 0;
    loop {
        let start = at.min(len - BLOCK);
        if block_has(start) {
            return bytes[start..]
                .iter()
                .position(|&b| needs_escape(b))
                .map(|i| start + i);
        }
        at += BLOCK;
        if at >= len {
            return None;
        }
    }
}

/// `first_to_escape` for fewer than 16 bytes: two overlapping words from 8 bytes up.
fn first_to_escape_short(bytes: &[u8]) -> Option<usize> {
    let len = bytes.len();
    if len >= 8 {
        let word = |at: usize| {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(eight)
        };
        if !word_needs_escape(word(0)) && !word_needs_escape(word(len - 8)) {
            return None;
        }
    }
    bytes.iter().position(|&b| needs_escape(b))
}

/// Whether any of the eight bytes of `word` needs escaping (bytewise tests in one word).
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte below n sets its high bit in (word - n) & !word, for n up to 0x80.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let control = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    control | quote | backslash != 0
}

fn write_escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short: &[u8] = match byte {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        0x08 => b"\\b",
        0x0c => b"\\f",
        _ => {
            let code = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 15)],
            ];
            out.extend_from_slice(&code);
            return;
        }
    };
    out.extend_from_slice(short);
}

fn write_csv_row<'a>(
    out: &mut Vec<u8>,
    cells: &Cells,
    steps: impl Iterator<Item = StepText<'a>>,
    trace: TraceLevel,
    scratch: &mut Vec<u8>,
) {
    for (_, value) in cells.in_order() {
        write_csv_field(out, value.unwrap_or("").as_bytes());
        out.push(b',');
    }
    match trace {
        TraceLevel::Full | TraceLevel::Compact => {
            scratch.clear();
            write_json_trace(scratch, steps, trace);
            write_csv_field(out, scratch);
        }
        TraceLevel::None => {}
    }
    out.push(b'\n');
}

/// Write one field as Python's `csv.writer` (excel dialect, QUOTE_MINIMAL) does.
///
/// A field is quoted when it holds the delimiter, the quote character, `\r` or `\n`;
/// CPython quotes a lone `\r` since 3.11.9, 3.12.3 and 3.13 (gh-67044), whatever the
/// line terminator: earlier patch releases left it bare, and that is not followed here.
fn write_csv_field(out: &mut Vec<u8>, field: &[u8]) {
    // These are ASCII, so no byte of a multi-byte UTF-8 sequence is taken for one.
    let special = |b: &u8| matches!(b, b',' | b'"' | b'\r' | b'\n');
    if !field.iter().any(special) {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &byte in field {
        if byte == b'"' {
            out.push(b'"');
        }
        out.push(byte);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Channel, Effect, Status};
    use crate::reading::tests::calendars;
    use serde_json::Map;
    use std::collections::BTreeMap;

    // The expected bytes below were written by orjson.dumps and Python 3.13's csv.writer.
    const CUSTOMER_ID: &str = "c \"1\",\n\u{d}\u{9}\u{0}\u{1f}\u{7f} \u{e9}\u{2028}\u{1f600}/\\";
    const WHY: &str = "say \"hi\"\u{d}\n\u{8}\u{c}\u{1}\u{2029}";
    const JSONL: &str = "{\"id\":\"d-1\",\"customer\":\"c \\\"1\\\",\\n\\r\\t\\u0000\\u001f\u{7f} \u{e9}\u{2028}\u{1f600}/\\\\\",\"intent\":\"welcome\",\"ref\":\"a,b\",\"status\":\"waiting\",\"send_at\":null,\"local_send_at\":null,\"channel\":null,\"trace\":[{\"rule\":\"r,1\",\"effect\":\"proposed\",\"from\":null,\"to\":null,\"why\":\"say \\\"hi\\\"\\r\\n\\b\\f\\u0001\u{2029}\"},{\"rule\":\"w\",\"effect\":\"waiting\",\"from\":null,\"to\":null,\"why\":\"waits for x\"}]}\n{\"id\":\"d-2\",\"customer\":\"c \\\"1\\\",\\n\\r\\t\\u0000\\u001f\u{7f} \u{e9}\u{2028}\u{1f600}/\\\\\",\"intent\":\"nudge\",\"ref\":null,\"status\":\"suppressed\",\"send_at\":null,\"local_send_at\":null,\"channel\":null,\"trace\":[]}\n";
    const CSV: &str = "id,customer,intent,ref,status,send_at,local_send_at,channel,trace\nd-1,\"c \"\"1\"\",\n\u{d}\u{9}\u{0}\u{1f}\u{7f} \u{e9}\u{2028}\u{1f600}/\\\",welcome,\"a,b\",waiting,,,,\"[{\"\"rule\"\":\"\"r,1\"\",\"\"effect\"\":\"\"proposed\"\",\"\"from\"\":null,\"\"to\"\":null,\"\"why\"\":\"\"say \\\"\"hi\\\"\"\\r\\n\\b\\f\\u0001\u{2029}\"\"},{\"\"rule\"\":\"\"w\"\",\"\"effect\"\":\"\"waiting\"\",\"\"from\"\":null,\"\"to\"\":null,\"\"why\"\":\"\"waits for x\"\"}]\"\nd-2,\"c \"\"1\"\",\n\u{d}\u{9}\u{0}\u{1f}\u{7f} \u{e9}\u{2028}\u{1f600}/\\\",nudge,,suppressed,,,,[]\n";
    const SCHEDULED: &str = "{\"id\":\"d-3\",\"customer\":\"c1\",\"intent\":\"hello\",\"ref\":\"o 1\",\"status\":\"scheduled\",\"send_at\":\"2027-01-15T08:00:00+00:00\",\"local_send_at\":\"2027-01-15T08:00:00+00:00\",\"channel\":\"in_app\",\"trace\":[{\"rule\":\"quiet\",\"effect\":\"deferred\",\"from\":\"2027-01-15T05:13:20+00:00\",\"to\":\"2027-01-15T08:00:00+00:00\",\"why\":\"night\"}]}\n";

    fn customer(id: &str) -> Customer {
        Customer {
            id: id.to_owned(),
            timezone: "UTC".to_owned(),
            country: "GB".to_owned(),
            since: 0,
            channels: vec![Channel::Email],
            consents: BTreeMap::new(),
            attributes: Map::new(),
        }
    }

    fn step(rule: &str, effect: Effect, why: &str, span: Option<(i64, i64)>) -> Step {
        Step {
            rule: rule.to_owned(),
            effect,
            why: why.to_owned(),
            before: span.map(|s| s.0),
            after: span.map(|s| s.1),
            reason: Reason::NoChannel,
        }
    }

    fn because(rule: &str, effect: Effect, reason: Reason<&str>, after: Option<i64>) -> Step {
        Step {
            rule: rule.to_owned(),
            effect,
            why: "never written in a compact trace".to_owned(),
            before: None,
            after,
            reason: reason.to_owned(),
        }
    }

    /// A decision whose steps have reasons of each shape: texts to escape, instants,
    /// flags, channels and none.
    fn reasoned() -> RawDecision {
        let mut placed = decision("d-4", "hello", None, Status::Scheduled);
        placed.send_at = Some(1_800_000_000);
        placed.channel = Some(Channel::Sms);
        let mut passed = Passed::default();
        passed.push(Channel::Email);
        passed.push(Channel::Push);
        let proposed = Reason::Proposed {
            basis: "say \"hi\"\n",
            at: Some(1_799_990_000),
        };
        let lapses = Stop::Lapses {
            at: 1_800_000_000,
            channel: Some(Channel::Email),
            moved: true,
        };
        let blocked = Stop::Blocked {
            channel: None,
            waits_for: None,
        };
        let skipped = Effect::SkippedChannel;
        placed.steps = vec![
            because("t", Effect::Proposed, proposed, Some(1_800_000_000)),
            because(
                "quiet",
                skipped,
                Reason::Skipped {
                    on: Channel::Email,
                    stop: lapses,
                },
                None,
            ),
            because(
                "c",
                skipped,
                Reason::Skipped {
                    on: Channel::Push,
                    stop: blocked,
                },
                None,
            ),
            because(
                "channel",
                Effect::ChoseChannel,
                Reason::Chose { passed },
                Some(1_800_000_000),
            ),
        ];
        placed
    }

    // Written by orjson.dumps and csv.writer from the records Python's planner gives.
    const COMPACT: &str = r#"{"id":"d-4","customer":"c1","intent":"hello","ref":null,"status":"scheduled","send_at":"2027-01-15T08:00:00+00:00","local_send_at":"2027-01-15T08:00:00+00:00","channel":"sms","trace":[["t","proposed",null,1800000000,"proposed","say \"hi\"\n",1799990000],["quiet","skipped_channel",null,null,"skipped","email","lapses",1800000000,"email",true],["c","skipped_channel",null,null,"skipped","push","blocked",null,null],["channel","chose_channel",null,1800000000,"chose",["email","push"]]]}"#;
    const COMPACT_CSV: &str = r#"d-4,c1,hello,,scheduled,2027-01-15T08:00:00+00:00,2027-01-15T08:00:00+00:00,sms,"[[""t"",""proposed"",null,1800000000,""proposed"",""say \""hi\""\n"",1799990000],[""quiet"",""skipped_channel"",null,null,""skipped"",""email"",""lapses"",1800000000,""email"",true],[""c"",""skipped_channel"",null,null,""skipped"",""push"",""blocked"",null,null],[""channel"",""chose_channel"",null,1800000000,""chose"",[""email"",""push""]]]""#;

    #[test]
    fn compact_steps_are_arrays_as_orjson_writes_python_lists() {
        let text = written(&[reasoned()], "c1", Form::Jsonl, TraceLevel::Compact);
        assert_eq!(text, format!("{COMPACT}\n"));
        let csv = written(&[reasoned()], "c1", Form::Csv, TraceLevel::Compact);
        let (_, row) = csv.split_once('\n').expect("a header, then the row");
        assert_eq!(row, format!("{COMPACT_CSV}\n"));
    }

    #[test]
    fn every_reason_writes_its_code_then_its_params_in_order() {
        let json = |reason: Reason<&str>| {
            let step = StepText {
                rule: "r",
                rule_plain: false,
                effect: Effect::Deferred,
                why: "",
                why_plain: true,
                before: Some(-1),
                after: None,
                reason,
            };
            let mut out = Vec::new();
            write_compact_step(&mut out, &step);
            String::from_utf8(out).expect("UTF-8")
        };
        let cases = [
            (
                Reason::Waits { kind: "opted_in" },
                r#"["r","deferred",-1,null,"waits","opted_in"]"#,
            ),
            (Reason::PlanNow, r#"["r","deferred",-1,null,"plan_now"]"#),
            (
                Reason::Guard {
                    channel: Some(Channel::InApp),
                },
                r#"["r","deferred",-1,null,"guard","in_app"]"#,
            ),
            (
                Reason::Stop(Stop::Blocked {
                    channel: None,
                    waits_for: Some("x"),
                }),
                r#"["r","deferred",-1,null,"blocked",null,"x"]"#,
            ),
            (
                Reason::Stop(Stop::Lapses {
                    at: 0,
                    channel: None,
                    moved: false,
                }),
                r#"["r","deferred",-1,null,"lapses",0,null,false]"#,
            ),
            (
                Reason::LapsedEverywhere { at: 86_400 },
                r#"["r","deferred",-1,null,"lapsed_everywhere",86400]"#,
            ),
            (
                Reason::NoChannel,
                r#"["r","deferred",-1,null,"no_channel"]"#,
            ),
            (
                Reason::Proposed {
                    basis: "customer",
                    at: Some(i64::MIN),
                },
                r#"["r","deferred",-1,null,"proposed","customer",-9223372036854775808]"#,
            ),
        ];
        for (reason, expected) in cases {
            assert_eq!(json(reason), expected);
        }
    }

    #[test]
    fn raw_steps_carry_the_reason_with_instants_as_seconds() {
        let step = because(
            "quiet",
            Effect::Expired,
            Reason::Stop(Stop::Lapses {
                at: 60,
                channel: Some(Channel::Sms),
                moved: true,
            }),
            None,
        );
        let json = serde_json::to_string(&step).expect("serialises");
        let expected = r#"{"rule":"quiet","effect":"expired","why":"never written in a compact trace","before":null,"after":null,"code":"lapses","params":{"at":60,"channel":"sms","moved":true}}"#;
        assert_eq!(json, expected);
    }

    #[test]
    fn passed_channels_keep_their_order_and_no_more_than_there_are() {
        let mut passed = Passed::default();
        for channel in Channel::ALL.iter().rev().chain(&Channel::ALL) {
            passed.push(*channel);
        }
        let reversed: Vec<Channel> = Channel::ALL.iter().rev().copied().collect();
        assert_eq!(passed.as_slice(), reversed.as_slice());
    }

    fn decision(id: &str, intent: &str, reference: Option<&str>, status: Status) -> RawDecision {
        RawDecision {
            id: id.to_owned(),
            intent: intent.to_owned(),
            category: Category::Marketing,
            reference: reference.map(str::to_owned),
            status,
            send_at: None,
            channel: None,
            expires: None,
            waiting_for: None,
            steps: Vec::new(),
        }
    }

    fn unplaced() -> Vec<RawDecision> {
        let mut waiting = decision("d-1", "welcome", Some("a,b"), Status::Waiting);
        waiting.steps = vec![
            step("r,1", Effect::Proposed, WHY, None),
            step("w", Effect::Waiting, "waits for x", None),
        ];
        vec![waiting, decision("d-2", "nudge", None, Status::Suppressed)]
    }

    fn written(decisions: &[RawDecision], id: &str, form: Form, trace: TraceLevel) -> String {
        let calendars = calendars();
        let zone = calendars.zone("UTC").expect("the test source knows UTC");
        let mut out = Vec::new();
        if form == Form::Csv {
            csv_header(&mut out);
        }
        write_decisions(&mut out, &customer(id), &zone, decisions, form, trace)
            .expect("the records are written");
        String::from_utf8(out).expect("records are UTF-8")
    }

    #[test]
    fn json_lines_escape_as_orjson() {
        let text = written(&unplaced(), CUSTOMER_ID, Form::Jsonl, TraceLevel::Full);
        assert_eq!(text, JSONL);
    }

    #[test]
    fn csv_quotes_as_python() {
        let text = written(&unplaced(), CUSTOMER_ID, Form::Csv, TraceLevel::Full);
        assert_eq!(text, CSV);
    }

    #[test]
    fn without_trace_the_key_is_left_out_and_the_cell_empty() {
        let decisions = unplaced();
        let json = written(&decisions[1..], "c1", Form::Jsonl, TraceLevel::None);
        let expected = "{\"id\":\"d-2\",\"customer\":\"c1\",\"intent\":\"nudge\",\"ref\":null,\"status\":\"suppressed\",\"send_at\":null,\"local_send_at\":null,\"channel\":null}\n";
        assert_eq!(json, expected);
        let csv = written(&decisions[1..], "c1", Form::Csv, TraceLevel::None);
        assert!(csv.ends_with("\nd-2,c1,nudge,,suppressed,,,,\n"), "{csv:?}");
    }

    #[test]
    fn csv_fields_as_python_writes_them() {
        let cases = [
            ("", ""),
            (" a", " a"),
            ("a b\tc", "a b\tc"),
            ("x\ry", "\"x\ry\""),
            ("x\ny", "\"x\ny\""),
            ("q\"q", "\"q\"\"q\""),
            ("a,b", "\"a,b\""),
            ("'#;", "'#;"),
        ];
        for (field, expected) in cases {
            let mut out = Vec::new();
            write_csv_field(&mut out, field.as_bytes());
            assert_eq!(out, expected.as_bytes(), "{field:?}");
        }
    }

    #[test]
    fn escapes_are_found_wherever_they_are() {
        for len in 0..40 {
            let plain = "é".repeat(len / 2) + &"a".repeat(len % 2);
            assert!(is_plain(&plain));
            for at in 0..plain.len() {
                if !plain.is_char_boundary(at) {
                    continue;
                }
                for special in ["\"", "\\", "\n", "\u{1f}"] {
                    let text = format!("{}{special}{}", &plain[..at], &plain[at..]);
                    assert_eq!(first_to_escape(text.as_bytes()), Some(at), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn every_control_character_escapes_as_orjson() {
        let all: String = (0u8..0x20).map(char::from).collect();
        let mut out = Vec::new();
        write_json_str(&mut out, &all);
        let expected = "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"";
        assert_eq!(String::from_utf8_lossy(&out), expected);
    }

    #[test]
    fn scheduled_decisions_carry_their_instants() {
        let mut placed = decision("d-3", "hello", Some("o 1"), Status::Scheduled);
        placed.send_at = Some(1_800_000_000);
        placed.channel = Some(Channel::InApp);
        placed.steps = vec![step(
            "quiet",
            Effect::Deferred,
            "night",
            Some((1_799_990_000, 1_800_000_000)),
        )];
        let text = written(&[placed], "c1", Form::Jsonl, TraceLevel::Full);
        assert_eq!(text, SCHEDULED);
    }
}
