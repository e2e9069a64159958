//! One customer's history planned on the built-in playbook: the plan may refuse the
//! input with an error, but never panic; a plan made is the same whatever the order of
//! the events, and its records are written and read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outreach_core::arbitration::plan;
use outreach_core::model::Status;
use outreach_core::reading::parse_record;
use outreach_core::records::{csv_header, write_decisions, Form, TraceLevel};
use outreach_core_fuzz::{calendars, playbook, PlanInput};

fuzz_target!(|input: PlanInput| {
    let policy = playbook();
    let calendars = calendars();
    let customer = input.customer();
    let events = input.events();
    let now = input.now();
    let mut reversed = events.clone();
    reversed.reverse();
    let Ok(decisions) = plan(policy, &calendars, &customer, events, now) else {
        return;
    };
    for decision in &decisions {
        if decision.status == Status::Scheduled {
            let send_at = decision.send_at.expect("a scheduled decision has a time");
            assert!(send_at >= now, "scheduled before now: {decision:?}");
            assert!(decision.channel.is_some(), "no channel: {decision:?}");
        }
    }
    let again = plan(policy, &calendars, &customer, reversed, now)
        .expect("the same events in another order are planned too");
    assert_eq!(
        decisions, again,
        "the plan depends on the order of the events"
    );

    let zone = calendars
        .zone(&customer.timezone)
        .expect("the zone was loaded");
    for trace in [TraceLevel::Full, TraceLevel::None] {
        let mut out = Vec::new();
        if write_decisions(&mut out, &customer, &zone, &decisions, Form::Jsonl, trace).is_ok() {
            for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                parse_record(line).expect("a written record is read back");
            }
        }
        let mut out = Vec::new();
        csv_header(&mut out);
        let _ = write_decisions(&mut out, &customer, &zone, &decisions, Form::Csv, trace);
    }
});
