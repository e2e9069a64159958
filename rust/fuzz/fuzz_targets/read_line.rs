//! Arbitrary bytes as one line of a customers or events file: the strict JSON reader
//! and both record readers must refuse or read it, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outreach_core::reading::{customer_from_line, event_from_line, is_blank, parse_record};
use outreach_core::time::instants::{iso_utc, parse_instant};
use outreach_core_fuzz::calendars;
use serde_json::Value;

fuzz_target!(|line: &[u8]| {
    let calendars = calendars();
    let _ = is_blank(line);
    if let Ok(record) = parse_record(line) {
        // What the reader read, written again by serde_json, reads back the same.
        let again = serde_json::to_vec(&record).expect("a JSON map is written");
        let reread = parse_record(&again).expect("serde_json's output is read back");
        assert_eq!(Value::Object(record), Value::Object(reread));
    }
    if let Ok(customer) = customer_from_line(line, &calendars) {
        let _ = iso_utc(customer.since);
    }
    if let Ok(event) = event_from_line(line, &calendars) {
        let _ = iso_utc(event.at);
    }
    // The instant parser on its own, as the text of `at` would reach it.
    if let Ok(text) = std::str::from_utf8(line) {
        if let Some(seconds) = parse_instant(text) {
            let _ = iso_utc(seconds);
        }
    }
});
