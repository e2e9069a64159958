//! How fast the core plans and writes records, on one thread, with no Python.
//!
//! Make the input with `make_bench_input.py` (see there), then:
//!
//! ```text
//! cargo run --release --example plan_bench -- /tmp/bench [--reps 5] [--mode all] [--check]
//! ```
//!
//! `--mode plan` times `arbitration::plan` alone; `records`, `plan` then
//! `records::write_decisions`; `fused`, `arbitration::plan_records`; `all`, each in turn
//! (`drop` only drops the groups read, which every way does too; `hot` reads each group
//! just before `plan_records`, as the batch path does, and takes the reading off).
//! Groups are read before the clock starts. `--limit N` plans the first N groups only.
//! `--check` compares the records of both ways with `expected.jsonl`, byte for byte.
//! Under callgrind, count one phase with `--toggle-collect='*bench_plan*'` (or
//! `*bench_records*`, `*bench_fused*`, `*bench_drop*`).

use outreach_core::arbitration;
use outreach_core::error::{CoreError, Result};
use outreach_core::model::{Customer, Event, Instant};
use outreach_core::policy::Policy;
use outreach_core::records::{self, Form, TraceLevel};
use outreach_core::time::{Calendars, Sources, YearTable};
use serde::Deserialize;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant as Clock;

/// The system allocator, counting allocations: a plan's allocations are a good part of
/// its cost.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// 2026-12-14T09:30:00Z, the workload's now.
const NOW: Instant = 1_797_240_600;

/// One customer and their history, as `outreach_rules._rust.wire_group` writes them.
#[derive(Deserialize)]
struct Group {
    customer: Customer,
    history: Vec<Event>,
}

#[derive(Deserialize)]
struct ZoneYear {
    zone: String,
    year: i32,
    starts: Vec<Instant>,
    offsets: Vec<i64>,
}

#[derive(Deserialize)]
struct HolidayList {
    country: String,
    subdivision: Option<String>,
    year: i32,
    days: Vec<i64>,
}

#[derive(Deserialize)]
struct Recorded {
    zones: Vec<ZoneYear>,
    holidays: Vec<HolidayList>,
}

type HolidayKey = (String, Option<String>, i32);

/// The zone tables and holiday lists Python gave while planning the workload.
struct RecordedSources {
    zones: HashMap<(String, i32), YearTable>,
    holidays: HashMap<HolidayKey, Vec<i64>>,
}

impl RecordedSources {
    fn load(path: &Path) -> RecordedSources {
        let recorded: Recorded = serde_json::from_slice(&read(path)).expect("sources.json");
        let zones = recorded
            .zones
            .into_iter()
            .map(|z| {
                let table = YearTable {
                    starts: z.starts,
                    offsets: z.offsets,
                };
                ((z.zone, z.year), table)
            })
            .collect();
        let holidays = recorded
            .holidays
            .into_iter()
            .map(|h| ((h.country, h.subdivision, h.year), h.days))
            .collect();
        RecordedSources { zones, holidays }
    }
}

impl Sources for RecordedSources {
    fn zone_year(&self, zone: &str, year: i32) -> Result<YearTable> {
        self.zones
            .get(&(zone.to_owned(), year))
            .cloned()
            .ok_or_else(|| CoreError::time(format!("{zone} {year} was not recorded")))
    }

    fn holidays(&self, country: &str, subdivision: Option<&str>, year: i32) -> Result<Vec<i64>> {
        let key = (country.to_owned(), subdivision.map(str::to_owned), year);
        self.holidays
            .get(&key)
            .cloned()
            .ok_or_else(|| CoreError::time(format!("holidays {key:?} were not recorded")))
    }

    fn instant(&self, text: &str, field: &str) -> Result<Instant> {
        Err(CoreError::time(format!(
            "{field}: {text} is not a usual instant"
        )))
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first `limit` groups of `groups.jsonl`, read.
fn groups(lines: &[u8], limit: usize) -> Vec<Group> {
    lines
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .take(limit)
        .map(|line| serde_json::from_slice(line).expect("a group"))
        .collect()
}

/// Plan every group; the decisions are dropped.
#[inline(never)]
fn bench_plan(policy: &Policy, calendars: &Calendars, groups: Vec<Group>) -> usize {
    let mut count = 0;
    for Group { customer, history } in groups {
        let decisions =
            arbitration::plan(policy, calendars, &customer, history, NOW).expect("a plan");
        count += black_box(decisions).len();
    }
    count
}

/// Plan every group and write its records in one step, as `arbitration::plan_records`
/// does for the batch path.
#[inline(never)]
fn bench_fused(policy: &Policy, calendars: &Calendars, groups: Vec<Group>, out: &mut Vec<u8>) {
    for Group { customer, history } in groups {
        let (form, trace) = (Form::Jsonl, TraceLevel::Full);
        arbitration::plan_records(policy, calendars, &customer, history, NOW, out, form, trace)
            .expect("records");
    }
}

/// Read each group, then plan it and write its records at once, while the group is
/// still in the cache, as the batch path does (with `plan_records`); `plan` false only
/// reads and drops, to take off.
#[inline(never)]
fn bench_hot(
    policy: &Policy,
    calendars: &Calendars,
    lines: &[&[u8]],
    out: &mut Vec<u8>,
    plan: bool,
) {
    for line in lines {
        let Group { customer, history } = serde_json::from_slice(line).expect("a group");
        if plan {
            let (form, trace) = (Form::Jsonl, TraceLevel::Full);
            arbitration::plan_records(policy, calendars, &customer, history, NOW, out, form, trace)
                .expect("records");
        } else {
            black_box((customer, history));
        }
    }
}

/// Drop every group: what freeing the input costs, whoever frees it.
#[inline(never)]
fn bench_drop(groups: Vec<Group>) {
    for group in groups {
        drop(black_box(group));
    }
}

/// `records_pass`, timed (and counted under callgrind).
#[inline(never)]
fn bench_records(policy: &Policy, calendars: &Calendars, groups: Vec<Group>, out: &mut Vec<u8>) {
    records_pass(policy, calendars, groups, out);
}

/// Plan every group and write its records to `out`, as the batch path does.
#[inline(never)]
fn records_pass(policy: &Policy, calendars: &Calendars, groups: Vec<Group>, out: &mut Vec<u8>) {
    for Group { customer, history } in groups {
        let decisions =
            arbitration::plan(policy, calendars, &customer, history, NOW).expect("a plan");
        let zone = calendars.zone(&customer.timezone).expect("a zone");
        records::write_decisions(
            out,
            &customer,
            &zone,
            &decisions,
            Form::Jsonl,
            TraceLevel::Full,
        )
        .expect("records");
    }
}

struct Options {
    dir: PathBuf,
    reps: usize,
    mode: String,
    check: bool,
    limit: usize,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        dir: PathBuf::from("/tmp/bench"),
        reps: 5,
        mode: "all".to_owned(),
        check: false,
        limit: usize::MAX,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reps" => options.reps = args.next().and_then(|n| n.parse().ok()).expect("--reps N"),
            "--mode" => options.mode = args.next().expect("--mode plan|records|fused|all"),
            "--check" => options.check = true,
            "--limit" => {
                options.limit = args.next().and_then(|n| n.parse().ok()).expect("--limit N")
            }
            _ => options.dir = PathBuf::from(arg),
        }
    }
    options
}

fn main() {
    let options = options();
    let dir = &options.dir;
    let policy: Policy = serde_json::from_slice(&read(&dir.join("policy.json"))).expect("policy");
    let sources = Arc::new(RecordedSources::load(&dir.join("sources.json")));
    let calendars = Calendars::new(sources);
    let lines = read(&dir.join("groups.jsonl"));
    let count = groups(&lines, options.limit).len();
    let mut out = Vec::with_capacity(128 << 20);
    // One untimed pass loads every zone table and holiday list.
    records_pass(&policy, &calendars, groups(&lines, options.limit), &mut out);
    if options.check && options.limit == usize::MAX {
        let expected = read(&dir.join("expected.jsonl"));
        assert!(out == expected, "the records differ from expected.jsonl");
        out.clear();
        bench_fused(&policy, &calendars, groups(&lines, options.limit), &mut out);
        assert!(out == expected, "plan_records differs from expected.jsonl");
        println!("records identical to expected.jsonl ({} bytes)", out.len());
    }
    let per = |seconds: f64| seconds * 1e6 / count as f64;
    let (mut plan_best, mut records_best, mut fused_best) = (f64::MAX, f64::MAX, f64::MAX);
    let mut hot_best = f64::MAX;
    let mut allocations = [0usize; 3];
    let counted = |slot: &mut usize, start: usize| {
        *slot = (ALLOCATIONS.load(Relaxed) - start) / count;
    };
    let mut decisions = 0;
    for _ in 0..options.reps {
        if options.mode == "plan" || options.mode == "all" {
            let input = groups(&lines, options.limit);
            let (start, clock) = (ALLOCATIONS.load(Relaxed), Clock::now());
            decisions = bench_plan(&policy, &calendars, input);
            counted(&mut allocations[0], start);
            plan_best = plan_best.min(per(clock.elapsed().as_secs_f64()));
        }
        if options.mode == "records" || options.mode == "all" {
            let input = groups(&lines, options.limit);
            out.clear();
            let (start, clock) = (ALLOCATIONS.load(Relaxed), Clock::now());
            bench_records(&policy, &calendars, input, &mut out);
            counted(&mut allocations[1], start);
            records_best = records_best.min(per(clock.elapsed().as_secs_f64()));
        }
        if options.mode == "hot" || options.mode == "all" {
            let split: Vec<&[u8]> = lines
                .split(|&b| b == b'\n')
                .filter(|line| !line.is_empty())
                .take(options.limit)
                .collect();
            out.clear();
            let clock = Clock::now();
            bench_hot(&policy, &calendars, &split, &mut out, false);
            let read = per(clock.elapsed().as_secs_f64());
            let clock = Clock::now();
            bench_hot(&policy, &calendars, &split, &mut out, true);
            hot_best = hot_best.min(per(clock.elapsed().as_secs_f64()) - read);
        }
        if options.mode == "drop" {
            bench_drop(groups(&lines, options.limit));
        }
        if options.mode == "fused" || options.mode == "all" {
            let input = groups(&lines, options.limit);
            out.clear();
            let (start, clock) = (ALLOCATIONS.load(Relaxed), Clock::now());
            bench_fused(&policy, &calendars, input, &mut out);
            counted(&mut allocations[2], start);
            fused_best = fused_best.min(per(clock.elapsed().as_secs_f64()));
        }
    }
    let shown = |best: f64| {
        if best == f64::MAX {
            "-".to_owned()
        } else {
            format!("{best:.2}")
        }
    };
    println!(
        "{count} customers ({:.2} decisions, {:.0} bytes each), best of {}, µs/customer: \
         plan {}, plan+write_decisions {}, plan_records {}",
        decisions as f64 / count as f64,
        out.len() as f64 / count as f64,
        options.reps,
        shown(plan_best),
        shown(records_best),
        shown(fused_best),
    );
    println!(
        "plan_records each group just read (reading taken off): {} µs/customer",
        shown(hot_best)
    );
    println!(
        "allocations/customer: plan {}, plan+write_decisions {}, plan_records {}",
        allocations[0], allocations[1], allocations[2]
    );
}
