//! Whole runs on small files in a temporary folder: sorted and shuffled input, any number
//! of threads and any memory budget give the same bytes and the same issues, in order.

use super::skim::{names_customer, Skim};
use super::spill::Sorter;
use super::*;
use crate::reading::tests::calendars;
use crate::reading::Kinds;
use std::fs;
use std::path::PathBuf;

const POLICY: &str = include_str!("../arbitration/test_policy.json");
const NOW: Instant = 1_796_000_000;

/// A folder of its own for each test, removed at the end.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("outreach-batch-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("a temporary folder");
        Folder(path)
    }

    fn write(&self, name: &str, lines: &[String]) -> PathBuf {
        let path = self.0.join(name);
        let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
        fs::write(&path, text).expect("the file is written");
        path
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn customer(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","timezone":"UTC","country":"GB","since":"2020-01-01T00:00:00Z","channels":{{"email":true}}}}"#
    )
}

fn event(id: &str, customer: Option<&str>, at: &str) -> String {
    let owner = customer.map_or(String::new(), |c| format!(r#","customer":"{c}""#));
    format!(r#"{{"id":"{id}","kind":"order_placed","at":"{at}","ref":"o-{id}"{owner}}}"#)
}

/// The settings of one run.
#[derive(Clone, Copy)]
struct Run {
    threads: usize,
    budget: usize,
    on_error: OnError,
    /// What the output holds before the run, and keeps.
    kept: &'static str,
}

const ONE: Run = Run {
    threads: 1,
    budget: 64 << 20,
    on_error: OnError::Skip,
    kept: "",
};

/// The output and the outcome of planning `customers` and `events`.
fn plan(folder: &Folder, customers: &[String], events: &[String], run: Run) -> (String, Outcome) {
    plan_kinds(folder, customers, events, run, None)
}

/// As [`plan`], the events' kinds checked against `kinds`.
fn plan_kinds(
    folder: &Folder,
    customers: &[String],
    events: &[String],
    run: Run,
    kinds: Option<&Kinds>,
) -> (String, Outcome) {
    let policy: Policy = serde_json::from_str(POLICY).expect("the test policy");
    let calendars = calendars();
    let output = folder.0.join("out.jsonl");
    // Something past what is kept, as a run that stopped half way would leave.
    fs::write(&output, format!("{}left over\n", run.kept)).expect("the output");
    let job = Job {
        policy: &policy,
        calendars: &calendars,
        reading: &calendars,
        customers: &folder.write("customers.jsonl", customers),
        events: &folder.write("events.jsonl", events),
        output: &output,
        keep: run.kept.len() as u64,
        workdir: &folder.0,
        now: NOW,
        form: Form::Jsonl,
        trace: TraceLevel::Full,
        on_error: run.on_error,
        threads: run.threads,
        budget: run.budget,
        kinds,
    };
    let outcome = plan_files(&job, &mut |_| true).expect("the run ends");
    let written = fs::read_to_string(&output).unwrap_or_default();
    (written, outcome)
}

/// Each issue as `kind file:line`.
fn issues(outcome: &Outcome) -> Vec<String> {
    let name = |file: Which| match file {
        Which::Customers => "c",
        Which::Events => "e",
    };
    let kind = |kind: &IssueKind| match kind {
        IssueKind::Refused { .. } => "refused".to_owned(),
        IssueKind::NotUtf8 { .. } => "not-utf8".to_owned(),
        IssueKind::Twice { first } => format!("twice({first:?})"),
        IssueKind::Reused { other } => format!("reused({})", other.number),
        IssueKind::Unknown => "unknown".to_owned(),
        IssueKind::Failed { customer, .. } => format!("failed({customer})"),
    };
    outcome
        .issues
        .iter()
        .map(|i| {
            format!(
                "{} {}:{}{}",
                kind(&i.kind),
                name(i.line.file),
                i.line.number,
                if i.early { " early" } else { "" }
            )
        })
        .collect()
}

/// Many customers with a few events each, sorted by customer, broadcasts first.
fn shop(count: usize) -> (Vec<String>, Vec<String>) {
    let ids: Vec<String> = (0..count).map(|n| format!("c{n:04}")).collect();
    let customers = ids.iter().map(|id| customer(id)).collect();
    let mut events = vec![event("b1", None, "2026-11-30T10:00:00Z")];
    for (n, id) in ids.iter().enumerate() {
        for k in 0..n % 4 {
            let at = format!("2026-12-{:02}T10:00:00Z", 1 + (n + k) % 20);
            events.push(event(&format!("e{n}-{k}"), Some(id), &at));
        }
    }
    (customers, events)
}

/// A fixed shuffle (a linear congruential walk), so that runs compare.
fn shuffled(mut lines: Vec<String>, seed: u64) -> Vec<String> {
    let mut state = seed;
    for i in (1..lines.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lines.swap(i, (state >> 33) as usize % (i + 1));
    }
    lines
}

#[test]
fn sorted_and_shuffled_input_any_threads_and_budget_give_the_same_bytes() {
    let folder = Folder::new("same-bytes");
    let (customers, events) = shop(700);
    let (expected, outcome) = plan(&folder, &customers, &events, ONE);
    assert!(!outcome.indexed && outcome.issues.is_empty());
    assert_eq!(outcome.planned, 700);
    assert!(
        expected.lines().count() > 700,
        "every customer has a decision or more"
    );
    let (c, e) = (shuffled(customers, 1), shuffled(events, 2));
    for (threads, budget) in [(1, 64 << 20), (3, 64 << 20), (2, 2_000), (4, 1)] {
        let run = Run {
            threads,
            budget,
            ..ONE
        };
        let (written, outcome) = plan(&folder, &c, &e, run);
        assert!(outcome.indexed);
        assert_eq!(
            (written == expected, outcome.planned),
            (true, 700),
            "{threads} {budget}"
        );
    }
}

#[test]
fn what_the_output_held_first_is_kept_and_the_rest_replaced_however_read() {
    let folder = Folder::new("kept");
    let (customers, events) = shop(50);
    let (expected, _) = plan(&folder, &customers, &events, ONE);
    let kept = Run {
        kept: "id,customer,intent\n",
        ..ONE
    };
    let (sorted, outcome) = plan(&folder, &customers, &events, kept);
    assert!(!outcome.indexed);
    assert_eq!(sorted, format!("id,customer,intent\n{expected}"));
    // Read side by side until the events prove unsorted, then again through the index.
    let (c, e) = (customers.clone(), shuffled(events, 5));
    let (indexed, outcome) = plan(&folder, &c, &e, kept);
    assert!(outcome.indexed);
    assert_eq!(indexed, sorted);
}

#[test]
fn side_by_side_issues_come_in_pythons_order() {
    let folder = Folder::new("side-issues");
    let customers = [
        customer("a"),
        customer("b"),
        customer("b"),
        "{".to_owned(),
        customer("d"),
    ];
    let events = [
        event("x", None, "2026-12-01T10:00:00Z"),
        event("x", None, "2026-12-02T10:00:00Z"),
        event("1", Some("a"), "2026-12-01T10:00:00Z"),
        event("1", Some("a"), "2026-12-03T10:00:00Z"),
        event("2", Some("c"), "2026-12-01T10:00:00Z"),
        "{\"kind\":\"k\"}".to_owned(),
        event("3", Some("d"), "2026-12-01T10:00:00Z"),
    ];
    let (_, outcome) = plan(&folder, &customers, &events, ONE);
    assert!(!outcome.indexed);
    assert_eq!(
        issues(&outcome),
        [
            "reused(1) e:2",
            "reused(3) e:4",
            "twice(None) c:3",
            "refused c:4",
            "refused e:6",
            "unknown e:5",
        ]
    );
    let fail = Run {
        on_error: OnError::Fail,
        ..ONE
    };
    assert_eq!(
        issues(&plan(&folder, &customers, &events, fail).1),
        ["reused(1) e:2"]
    );
}

#[test]
fn indexed_issues_come_in_pythons_order() {
    let folder = Folder::new("indexed-issues");
    let customers = [customer("b"), customer("a"), "{".to_owned(), customer("b")];
    let events = [
        event("1", Some("zz"), "2026-12-01T10:00:00Z"),
        event("2", Some("b"), "2026-12-01T10:00:00Z"),
        event("x", None, "2026-12-01T10:00:00Z"),
        event("2", Some("b"), "2026-12-02T10:00:00Z"),
        event("x", None, "2026-12-02T10:00:00Z"),
        event("3", Some("yy"), "2026-12-01T10:00:00Z"),
        "[]".to_owned(),
    ];
    for budget in [64 << 20, 1] {
        let run = Run { budget, ..ONE };
        let (_, outcome) = plan(&folder, &customers, &events, run);
        assert!(outcome.indexed);
        assert_eq!(
            issues(&outcome),
            [
                "refused c:3 early",
                "twice(Some(1)) c:4 early",
                "refused e:7 early",
                "reused(3) e:5 early",
                "unknown e:6 early",
                "unknown e:1 early",
                "reused(2) e:4",
            ]
        );
        let fail = Run {
            on_error: OnError::Fail,
            ..run
        };
        assert_eq!(
            issues(&plan(&folder, &customers, &events, fail).1),
            ["refused c:3 early"]
        );
    }
}

#[test]
fn with_fail_an_issue_met_before_the_files_prove_unsorted_is_the_error() {
    let folder = Folder::new("fail-before-unsorted");
    let customers = [customer("a"), customer("c"), customer("b")];
    let events = [
        event("1", Some("a"), "2026-12-01T10:00:00Z"),
        "{".to_owned(),
        event("2", Some("c"), "2026-12-01T10:00:00Z"),
    ];
    let fail = Run {
        on_error: OnError::Fail,
        ..ONE
    };
    let (_, outcome) = plan(&folder, &customers, &events, fail);
    assert_eq!(
        (outcome.indexed, issues(&outcome)),
        (false, vec!["refused e:2".to_owned()])
    );
    let (_, outcome) = plan(&folder, &customers, &events, ONE);
    assert_eq!(
        (outcome.indexed, issues(&outcome)),
        (true, vec!["refused e:2 early".to_owned()])
    );
}

#[test]
fn a_line_that_is_not_text_stops_the_run_whatever_the_policy() {
    let folder = Folder::new("not-text");
    // Reading the events after customer `a` meets the bad line before customer line 2.
    let customers = [customer("a"), "{".to_owned()];
    let mut bytes = event("1", Some("a"), "2026-12-01T10:00:00Z").into_bytes();
    bytes.extend_from_slice(b"\n\xff\n");
    let events_file = folder.0.join("e.jsonl");
    fs::write(&events_file, &bytes).expect("written");
    let policy: Policy = serde_json::from_str(POLICY).expect("the test policy");
    let calendars = calendars();
    let job = Job {
        policy: &policy,
        calendars: &calendars,
        reading: &calendars,
        customers: &folder.write("customers.jsonl", &customers),
        events: &events_file,
        output: &folder.0.join("out.jsonl"),
        keep: 0,
        workdir: &folder.0,
        now: NOW,
        form: Form::Csv,
        trace: TraceLevel::None,
        on_error: OnError::Skip,
        threads: 2,
        budget: 1 << 20,
        kinds: None,
    };
    let outcome = plan_files(&job, &mut |_| true).expect("the run ends");
    assert_eq!(issues(&outcome), ["not-utf8 e:2"]);
    assert!(
        matches!(outcome.issues[0].kind, IssueKind::NotUtf8 { offset } if offset == bytes.len() as u64 - 2)
    );
}

/// The shop's events with a few of a misspelt kind: one broadcast, some customers' own.
fn misspelt(events: &[String]) -> (Vec<String>, Vec<u64>) {
    let mut lines = Vec::new();
    let mut numbers = Vec::new();
    for (n, line) in events.iter().enumerate() {
        if n % 7 == 0 {
            lines.push(line.replace("order_placed", "order_placd"));
            numbers.push(n as u64 + 1);
        } else {
            lines.push(line.clone());
        }
    }
    (lines, numbers)
}

#[test]
fn unknown_kinds_are_reported_once_each_in_line_order_however_read() {
    let folder = Folder::new("kinds-warn");
    let (customers, events) = shop(60);
    let (events, numbers) = misspelt(&events);
    let kinds = Kinds::new(["order_placed".to_owned()], false);
    let (expected, first) = plan(&folder, &customers, &events, ONE);
    for (threads, budget) in [(1, 64 << 20), (3, 1)] {
        let run = Run {
            threads,
            budget,
            ..ONE
        };
        for lines in [events.clone(), shuffled(events.clone(), 7)] {
            let (written, outcome) = plan_kinds(&folder, &customers, &lines, run, Some(&kinds));
            let at: Vec<u64> = outcome.unknown_kinds.iter().map(|(n, _)| *n).collect();
            let mut wanted: Vec<u64> = lines
                .iter()
                .enumerate()
                .filter(|(_, line)| line.contains("order_placd"))
                .map(|(n, _)| n as u64 + 1)
                .collect();
            wanted.sort_unstable();
            assert_eq!(at, wanted, "{threads} {budget}");
            assert!(outcome
                .unknown_kinds
                .iter()
                .all(|(_, kind)| kind == "order_placd"));
            // Reported, not refused: planned as without the check.
            if lines == events {
                assert_eq!(written, expected);
                assert_eq!(issues(&outcome), issues(&first));
            }
        }
    }
    assert_eq!(
        numbers.len(),
        plan_kinds(&folder, &customers, &events, ONE, Some(&kinds))
            .1
            .unknown_kinds
            .len()
    );
    // Without kinds, nothing is reported.
    assert!(plan(&folder, &customers, &events, ONE)
        .1
        .unknown_kinds
        .is_empty());
}

#[test]
fn refused_kinds_are_bad_lines_in_the_order_python_meets_them() {
    let folder = Folder::new("kinds-refuse");
    let (customers, events) = shop(30);
    let (events, numbers) = misspelt(&events);
    let kinds = Kinds::new(["order_placed".to_owned()], true);
    let (_, outcome) = plan_kinds(&folder, &customers, &events, ONE, Some(&kinds));
    let refused: Vec<String> = numbers.iter().map(|n| format!("refused e:{n}")).collect();
    assert_eq!(issues(&outcome), refused);
    assert!(outcome.unknown_kinds.is_empty());
    let fail = Run {
        on_error: OnError::Fail,
        ..ONE
    };
    let (_, outcome) = plan_kinds(&folder, &customers, &events, fail, Some(&kinds));
    assert_eq!(issues(&outcome), ["refused e:1"]);
    let shuffled_events = shuffled(events, 3);
    let (_, outcome) = plan_kinds(&folder, &customers, &shuffled_events, ONE, Some(&kinds));
    assert!(issues(&outcome)
        .iter()
        .all(|issue| issue.starts_with("refused e:") && issue.ends_with(" early")));
    assert_eq!(outcome.issues.len(), numbers.len());
}

#[test]
fn a_stop_asked_by_progress_stops_the_run() {
    let folder = Folder::new("stop");
    let (customers, events) = shop(2000);
    let policy: Policy = serde_json::from_str(POLICY).expect("the test policy");
    let calendars = calendars();
    let job = Job {
        policy: &policy,
        calendars: &calendars,
        reading: &calendars,
        customers: &folder.write("customers.jsonl", &customers),
        events: &folder.write("events.jsonl", &events),
        output: &folder.0.join("out.jsonl"),
        keep: 0,
        workdir: &folder.0,
        now: NOW,
        form: Form::Jsonl,
        trace: TraceLevel::Full,
        on_error: OnError::Fail,
        threads: 2,
        budget: 1 << 20,
        kinds: None,
    };
    let outcome = plan_files(&job, &mut |count| count == 0).expect("the run ends");
    assert!(outcome.aborted);
}

#[test]
fn the_head_ends_where_json_loads_finds_a_customer() {
    let cases: [(&[u8], Skim); 17] = [
        (br#"{"customer":"c1","kind":"k"}"#, Skim::Customer),
        (br#" {"customer" : "c1"} "#, Skim::Customer),
        (br#"{"customer":"a","customer":null}"#, Skim::Other),
        (br#"{"customer":null,"customer":"a"}"#, Skim::Customer),
        (
            br#"{"cust\u006fmer":"a","x":NaN,"y":-Infinity}"#,
            Skim::Customer,
        ),
        (br#"{"customer":"\ud800"}"#, Skim::Customer),
        (b"\xef\xbb\xbf{\"customer\":\"a\"}", Skim::Customer),
        (br#"{"data":{"customer":"a"}}"#, Skim::Other),
        (br#"{"customer":1}"#, Skim::Other),
        (br#"{"customer":"a",}"#, Skim::Other),
        (br#"{"customer":"a","n":1.}"#, Skim::Other),
        (br#"{"customer":"a","n":01}"#, Skim::Other),
        (br#"{"customer":"a"} x"#, Skim::Other),
        (br#"[{"customer":"a"}]"#, Skim::Other),
        (b"{\"customer\":\"a\tb\"}", Skim::Other),
        (br#"{"customer":"a","n":1e5,"m":-0.5E-3}"#, Skim::Customer),
        (b"\xff{\"customer\":\"a\"}", Skim::Other),
    ];
    for (line, expected) in cases {
        assert_eq!(
            names_customer(line),
            expected,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    let deep = format!(
        "{{\"customer\":\"a\",\"d\":{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(matches!(names_customer(deep.as_bytes()), Skim::Unsure(_)));
    let long = format!("{{\"customer\":\"a\",\"n\":{}}}", "9".repeat(4301));
    assert!(matches!(names_customer(long.as_bytes()), Skim::Unsure(_)));
    assert!(matches!(names_customer(b"{\x00}\n"), Skim::Unsure(_)));
    assert_eq!(names_customer(b"{\x00}"), Skim::Other);
}

#[test]
fn runs_merge_back_in_key_and_line_order() {
    let folder = Folder::new("runs");
    let keys = ["b", "a", "\u{e9}", "z", "a", "b", "", "aa"];
    for (budget, keep) in [(1, 0), (40, 0), (1 << 20, 1 << 20)] {
        let mut sorter = Sorter::new(&folder.0, "test", budget);
        for (line, key) in keys.iter().enumerate() {
            sorter
                .push(key, line as u64 + 1, &format!("text {line}"))
                .expect("pushed");
        }
        let sorted = sorter.finish(keep).expect("sorted");
        for _ in 0..2 {
            let mut merge = sorted.merge().expect("merged");
            let mut found = Vec::new();
            while let Some(entry) = merge.next_entry().expect("read") {
                assert_eq!(entry.text, format!("text {}", entry.line - 1));
                found.push((entry.key, entry.line));
            }
            let expected: Vec<(String, u64)> = [
                ("", 7),
                ("a", 2),
                ("a", 5),
                ("aa", 8),
                ("b", 1),
                ("b", 6),
                ("z", 4),
                ("\u{e9}", 3),
            ]
            .into_iter()
            .map(|(key, line)| (key.to_owned(), line))
            .collect();
            assert_eq!(found, expected, "budget {budget}");
        }
        sorted.remove();
    }
}
