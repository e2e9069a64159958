//! The targets' bodies on a few fixed inputs, so that `cargo test` here (stable, no
//! libFuzzer) checks the harness itself, and replays the seeds and any crash kept in
//! `tests/crashes/<target>/`.

use arbitrary::{Arbitrary, Unstructured};
use outreach_core::arbitration::plan;
use outreach_core::reading::{customer_from_line, event_from_line, parse_record};
use outreach_core_fuzz::{calendars, playbook, PlanInput};
use std::path::Path;

fn read_line(line: &[u8]) {
    let calendars = calendars();
    if let Ok(record) = parse_record(line) {
        let again = serde_json::to_vec(&record).expect("written");
        assert_eq!(parse_record(&again).expect("read back"), record);
    }
    let _ = customer_from_line(line, &calendars);
    let _ = event_from_line(line, &calendars);
}

fn plan_bytes(bytes: &[u8]) {
    let Ok(input) = PlanInput::arbitrary_take_rest(Unstructured::new(bytes)) else {
        return;
    };
    let calendars = calendars();
    let _ = plan(
        playbook(),
        &calendars,
        &input.customer(),
        input.events(),
        input.now(),
    );
}

fn files(dir: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|entry| std::fs::read(entry.ok()?.path()).ok())
        .collect();
    files.sort();
    files
}

#[test]
fn seed_lines_are_read() {
    let seeds = files("seeds/read_line");
    assert!(!seeds.is_empty());
    let calendars = calendars();
    for seed in &seeds {
        read_line(seed);
        let text = String::from_utf8_lossy(seed);
        let read = if text.contains("\"timezone\"") {
            customer_from_line(seed, &calendars).map(drop)
        } else {
            event_from_line(seed, &calendars).map(drop)
        };
        assert!(read.is_ok(), "{text}: {read:?}");
    }
}

#[test]
fn kept_crashes_do_not_panic() {
    for line in files("tests/crashes/read_line") {
        read_line(&line);
    }
    for bytes in files("tests/crashes/plan") {
        plan_bytes(&bytes);
    }
}

#[test]
fn the_playbook_plans_a_customer() {
    let calendars = calendars();
    let customer = serde_json::from_str(
        r#"{"id":"c1","timezone":"Test/Dst","country":"GB","since":1767225600,"channels":["email","sms","phone"]}"#,
    )
    .expect("a customer");
    let events = serde_json::from_str(
        r#"[{"kind":"order_placed","at":1767312000,"ref":"o1"},{"kind":"order_delivered","at":1767571200,"ref":"o1"},{"kind":"complaint_opened","at":1767600000}]"#,
    )
    .expect("events");
    let decisions = plan(playbook(), &calendars, &customer, events, 1_767_700_000).expect("a plan");
    assert!(!decisions.is_empty());
}

/// A few thousand pseudo-random structured inputs (xorshift bytes), as a smoke test.
#[test]
fn random_plans_do_not_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut bytes = vec![0u8; 512];
    for _ in 0..2_000 {
        for byte in bytes.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        plan_bytes(&bytes);
    }
}

/// Replays the corpora a fuzz run left in `corpus/` (not kept in git) and counts the
/// plans made: `cargo test --release -- --ignored --nocapture`.
#[test]
#[ignore]
fn replay_corpora() {
    let lines = files("corpus/read_line");
    let read = lines
        .iter()
        .filter(|line| parse_record(line).is_ok())
        .count();
    for line in &lines {
        read_line(line);
    }
    let inputs = files("corpus/plan");
    let calendars = calendars();
    let planned = inputs
        .iter()
        .filter_map(|bytes| PlanInput::arbitrary_take_rest(Unstructured::new(bytes)).ok())
        .filter(|input| {
            plan(
                playbook(),
                &calendars,
                &input.customer(),
                input.events(),
                input.now(),
            )
            .is_ok_and(|decisions| !decisions.is_empty())
        })
        .count();
    println!(
        "read_line: {} inputs, {read} JSON objects; plan: {} inputs, {planned} plans with decisions",
        lines.len(),
        inputs.len()
    );
}

/// The instant texts for any `i64`, in a debug build (overflow checks on): no panic.
#[test]
fn instants_are_written_whatever_their_size() {
    use outreach_core::time::instants::{format_local, iso_local, iso_utc};
    let calendars = calendars();
    let zones: Vec<_> = outreach_core_fuzz::ZONES
        .iter()
        .map(|name| calendars.zone(name).expect("a test zone"))
        .collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut values = vec![
        i64::MIN,
        i64::MIN + 1,
        -1,
        0,
        1,
        i64::MAX,
        -62_135_596_800,
        -62_135_596_801,
        253_402_300_799,
        253_402_300_800,
        -5_333_126_400,
        13_569_465_599,
    ];
    for _ in 0..10_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        values.push(state as i64 >> (state % 40));
    }
    for seconds in values {
        assert!(iso_utc(seconds).is_ascii());
        for zone in &zones {
            let _ = iso_local(seconds, zone);
            let _ = format_local(seconds, zone);
        }
    }
}
