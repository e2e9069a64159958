//! The data contract out: decision records as JSON Lines or CSV, byte for byte as
//! `RawDecision.record()` and `write_records` of `outreach_rules/_parts.py` write them.

use crate::error::Result;
use crate::model::{Customer, RawDecision, Step};
use crate::time::instants::{iso_local, iso_utc};
use crate::time::Zone;

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
        let cells = Cells::of(customer, zone, decision)?;
        match form {
            Form::Jsonl => write_json_record(out, &cells, &decision.steps, trace),
            Form::Csv => write_csv_row(out, &cells, &decision.steps, trace, &mut scratch),
        }
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

/// The cells of a record before the trace, in column order; None is JSON null.
struct Cells<'a> {
    id: &'a str,
    customer: &'a str,
    intent: &'a str,
    reference: Option<&'a str>,
    status: &'static str,
    send_at: Option<String>,
    local_send_at: Option<String>,
    channel: Option<&'static str>,
}

impl<'a> Cells<'a> {
    fn of(customer: &'a Customer, zone: &Zone, decision: &'a RawDecision) -> Result<Self> {
        let local_send_at = match decision.send_at {
            Some(at) => Some(iso_local(at, zone)?),
            None => None,
        };
        Ok(Cells {
            id: &decision.id,
            customer: &customer.id,
            intent: &decision.intent,
            reference: decision.reference.as_deref(),
            status: decision.status.as_str(),
            send_at: decision.send_at.map(iso_utc),
            local_send_at,
            channel: decision.channel.map(|c| c.as_str()),
        })
    }

    fn in_order(&self) -> [(&'static str, Option<&str>); 8] {
        [
            ("id", Some(self.id)),
            ("customer", Some(self.customer)),
            ("intent", Some(self.intent)),
            ("ref", self.reference),
            ("status", Some(self.status)),
            ("send_at", self.send_at.as_deref()),
            ("local_send_at", self.local_send_at.as_deref()),
            ("channel", self.channel),
        ]
    }
}

fn write_json_record(out: &mut Vec<u8>, cells: &Cells, steps: &[Step], trace: TraceLevel) {
    out.push(b'{');
    for (index, (key, value)) in cells.in_order().into_iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_json_member(out, key, value);
    }
    match trace {
        TraceLevel::Full => {
            out.extend_from_slice(b",\"trace\":");
            write_json_trace(out, steps);
        }
        TraceLevel::None => {}
    }
    out.extend_from_slice(b"}\n");
}

fn write_json_trace(out: &mut Vec<u8>, steps: &[Step]) {
    out.push(b'[');
    for (index, step) in steps.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_json_step(out, step);
    }
    out.push(b']');
}

fn write_json_step(out: &mut Vec<u8>, step: &Step) {
    let from = step.before.map(iso_utc);
    let to = step.after.map(iso_utc);
    out.push(b'{');
    write_json_member(out, "rule", Some(&step.rule));
    out.push(b',');
    write_json_member(out, "effect", Some(step.effect.as_str()));
    out.push(b',');
    write_json_member(out, "from", from.as_deref());
    out.push(b',');
    write_json_member(out, "to", to.as_deref());
    out.push(b',');
    write_json_member(out, "why", Some(&step.why));
    out.push(b'}');
}

fn write_json_member(out: &mut Vec<u8>, key: &str, value: Option<&str>) {
    write_json_str(out, key);
    out.push(b':');
    match value {
        Some(text) => write_json_str(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// Write `text` as a JSON string the way orjson does.
///
/// Only `"`, `\` and the C0 controls are escaped: everything else, DEL and U+2028
/// included, is written as raw UTF-8, as `json.dumps(..., ensure_ascii=False)` also does.
pub fn write_json_str(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.push(b'"');
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let short: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..index]);
        start = index + 1;
        if short.is_empty() {
            let code = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 15)],
            ];
            out.extend_from_slice(&code);
        } else {
            out.extend_from_slice(short);
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn write_csv_row(
    out: &mut Vec<u8>,
    cells: &Cells,
    steps: &[Step],
    trace: TraceLevel,
    scratch: &mut Vec<u8>,
) {
    for (_, value) in cells.in_order() {
        write_csv_field(out, value.unwrap_or("").as_bytes());
        out.push(b',');
    }
    match trace {
        TraceLevel::Full => {
            scratch.clear();
            write_json_trace(scratch, steps);
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
        }
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
