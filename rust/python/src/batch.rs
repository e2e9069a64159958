//! `plan_files`: whole files planned by the core (`outreach_core::batch`) with the GIL
//! released; the bad lines come back as plain data for Python to word, since Python's
//! reader gives the library's exact errors (see `outreach_rules/_parts.py`).

use crate::convert;
use crate::sources::PySources;
use crate::CompiledPolicy;
use outreach_core::batch::{
    self, BatchError, Issue, IssueKind, Job, OnError, Outcome, Record, Which,
};
use outreach_core::model::Instant;
use outreach_core::reading::Kinds;
use outreach_core::records::{Form, TraceLevel};
use outreach_core::time::{Calendars, Sources, YearTable};
use outreach_core::{CoreError, ErrorKind, Result as CoreResult};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant as Clock};

/// How often Python hears of progress (and Ctrl-C is looked for): a few times a second.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// Bytes of lines sorted in memory before a run is spilled, when the files are not sorted.
const BUDGET: usize = 64 << 20;

/// Plan the customers of `customers` with their events of `events` into `output`, in
/// `threads` threads; returns `(planned, fallback, issues, indexed, unknown_kinds)`.
///
/// `fallback` is a reason when the input holds what only Python's reader follows (then
/// `output` is not to be used). Each issue is `(kind, early, file, line, text, detail)`:
/// `refused` (detail: `customer` or `event`), `not_utf8` (the line's byte offset),
/// `twice` (`file:line` of the first, or None), `reused` (the other line as
/// `(file, line, text)`), `unknown`, or `failed` (`(customer id, exception)`).
///
/// With `known_kinds`, an event of another kind is refused (`refuse_unknown_kinds`, an
/// issue `refused`) or reported: each as `(file, line, kind)` in `unknown_kinds`.
#[pyfunction]
#[pyo3(signature = (policy, customers, events, output, *, now, form, trace, on_error, threads, workdir, progress = None, budget = BUDGET, known_kinds = None, refuse_unknown_kinds = false, keep = 0))]
#[allow(clippy::too_many_arguments)]
pub fn plan_files(
    py: Python<'_>,
    policy: &Bound<'_, CompiledPolicy>,
    customers: &str,
    events: &str,
    output: &str,
    now: Instant,
    form: &str,
    trace: &str,
    on_error: &str,
    threads: usize,
    workdir: &str,
    progress: Option<Py<PyAny>>,
    budget: usize,
    known_kinds: Option<Vec<String>>,
    refuse_unknown_kinds: bool,
    keep: u64,
) -> PyResult<Py<PyAny>> {
    let compiled = policy.get();
    let kinds = known_kinds.map(|known| Kinds::new(known, refuse_unknown_kinds));
    let reading = Calendars::new(Arc::new(Forgetful(compiled.sources.clone())));
    let job = Job {
        policy: &compiled.policy,
        calendars: &compiled.calendars,
        reading: &reading,
        customers: Path::new(customers),
        events: Path::new(events),
        output: Path::new(output),
        keep,
        workdir: Path::new(workdir),
        now,
        form: form_named(form)?,
        trace: trace_named(trace)?,
        on_error: on_error_named(on_error)?,
        threads: threads.max(1),
        budget: budget.max(1),
        kinds: kinds.as_ref(),
    };
    let mut told = Told::new(progress);
    let outcome = py.detach(|| {
        let run = || batch::plan_files(&job, &mut |count| told.add(count));
        catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|panic| {
            Err(BatchError::Engine(CoreError::new(
                ErrorKind::Engine,
                format!(
                    "the Rust core failed ({}); this is a bug, please report it",
                    batch::panic_text(&panic)
                ),
            )))
        })
    });
    told.finish(py)?;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(BatchError::Io(error)) => return Err(error.into()),
        Err(BatchError::Engine(error)) => {
            let raised = convert::exception(py, &error, &compiled.sources)?;
            return Err(PyErr::from_value(raised.into_bound(py)));
        }
    };
    let names = Names { customers, events };
    to_python(py, outcome, &names, &compiled.sources)
}

fn form_named(form: &str) -> PyResult<Form> {
    match form {
        "jsonl" => Ok(Form::Jsonl),
        "csv" => Ok(Form::Csv),
        _ => Err(convert::value_error(format!(
            "form={form:?} is not jsonl or csv"
        ))),
    }
}

/// The trace level named `trace`: full, compact or none.
pub(crate) fn trace_named(trace: &str) -> PyResult<TraceLevel> {
    match trace {
        "full" => Ok(TraceLevel::Full),
        "compact" => Ok(TraceLevel::Compact),
        "none" => Ok(TraceLevel::None),
        _ => Err(convert::value_error(format!(
            "trace={trace:?} is not full, compact or none"
        ))),
    }
}

fn on_error_named(on_error: &str) -> PyResult<OnError> {
    match on_error {
        "fail" => Ok(OnError::Fail),
        "skip" => Ok(OnError::Skip),
        _ => Err(convert::value_error(format!(
            "on_error={on_error:?} is not fail or skip"
        ))),
    }
}

/// Progress for Python: counts gathered, handed over (and Ctrl-C looked for) a few times
/// a second, from the thread that called `plan_files`.
struct Told {
    progress: Option<Py<PyAny>>,
    pending: u64,
    last: Clock,
    raised: Option<PyErr>,
}

impl Told {
    fn new(progress: Option<Py<PyAny>>) -> Self {
        Told {
            progress,
            pending: 0,
            last: Clock::now(),
            raised: None,
        }
    }

    /// Count `count` more customers done; false to stop the run (Python raised).
    fn add(&mut self, count: u64) -> bool {
        self.pending += count;
        if self.raised.is_some() {
            return false;
        }
        if self.last.elapsed() < PROGRESS_EVERY {
            return true;
        }
        self.last = Clock::now();
        let told = Python::attach(|py| {
            py.check_signals()?;
            self.tell(py)
        });
        match told {
            Ok(()) => true,
            Err(error) => {
                self.raised = Some(error);
                false
            }
        }
    }

    fn tell(&mut self, py: Python<'_>) -> PyResult<()> {
        if let (Some(progress), true) = (&self.progress, self.pending > 0) {
            progress.call1(py, (self.pending,))?;
        }
        self.pending = 0;
        Ok(())
    }

    /// The rest of the count told, or what Python raised on the way.
    fn finish(&mut self, py: Python<'_>) -> PyResult<()> {
        match self.raised.take() {
            Some(error) => Err(error),
            None => self.tell(py),
        }
    }
}

/// [`PySources`] for reading lines: the exception of a refused line is dropped at once,
/// since Python reads the line again to word it (kept, it would stay until asked for).
struct Forgetful(Arc<PySources>);

impl Forgetful {
    fn forget(&self, error: CoreError) -> CoreError {
        if error.kind != ErrorKind::External {
            return error;
        }
        let kept = self.0.take(&error);
        Python::attach(|_| drop(kept));
        CoreError::new(ErrorKind::External, "raised in Python")
    }
}

impl Sources for Forgetful {
    fn zone_year(&self, zone: &str, year: i32) -> CoreResult<YearTable> {
        self.0.zone_year(zone, year).map_err(|e| self.forget(e))
    }

    fn holidays(
        &self,
        country: &str,
        subdivision: Option<&str>,
        year: i32,
    ) -> CoreResult<Vec<i64>> {
        self.0
            .holidays(country, subdivision, year)
            .map_err(|e| self.forget(e))
    }

    fn instant(&self, text: &str, field: &str) -> CoreResult<Instant> {
        self.0.instant(text, field).map_err(|e| self.forget(e))
    }

    fn repr(&self, text: &str) -> String {
        self.0.repr(text)
    }
}

/// The files' names as Python gave them: errors name lines by them.
struct Names<'a> {
    customers: &'a str,
    events: &'a str,
}

impl Names<'_> {
    fn of(&self, file: Which) -> &str {
        match file {
            Which::Customers => self.customers,
            Which::Events => self.events,
        }
    }
}

fn to_python(
    py: Python<'_>,
    outcome: Outcome,
    names: &Names,
    sources: &PySources,
) -> PyResult<Py<PyAny>> {
    let mut issues = Vec::with_capacity(outcome.issues.len());
    for issue in outcome.issues {
        issues.push(issue_tuple(py, issue, names, sources)?);
    }
    let unknown_kinds: Vec<(&str, u64, String)> = outcome
        .unknown_kinds
        .into_iter()
        .map(|(number, kind)| (names.events, number, kind))
        .collect();
    let found = (
        outcome.planned,
        outcome.fallback,
        issues,
        outcome.indexed,
        unknown_kinds,
    );
    Ok(found.into_pyobject(py)?.into_any().unbind())
}

fn issue_tuple<'py>(
    py: Python<'py>,
    issue: Issue,
    names: &Names,
    sources: &PySources,
) -> PyResult<Bound<'py, PyTuple>> {
    let Issue { early, line, kind } = issue;
    let (name, detail): (&str, Bound<'py, PyAny>) = match kind {
        IssueKind::Refused { record, .. } => {
            let record = match record {
                Record::Customer => "customer",
                Record::Event => "event",
            };
            ("refused", record.into_pyobject(py)?.into_any())
        }
        IssueKind::NotUtf8 { offset } => ("not_utf8", offset.into_pyobject(py)?.into_any()),
        IssueKind::Twice { first } => {
            let first = first.map(|number| format!("{}:{number}", names.customers));
            ("twice", first.into_pyobject(py)?.into_any())
        }
        IssueKind::Reused { other } => {
            let other = (names.of(other.file), other.number, other.text);
            ("reused", other.into_pyobject(py)?.into_any())
        }
        IssueKind::Unknown => ("unknown", py.None().into_bound(py)),
        IssueKind::Failed { customer, error } => {
            let raised = convert::exception(py, &error, sources)?;
            ("failed", (customer, raised).into_pyobject(py)?.into_any())
        }
    };
    let file = names.of(line.file);
    (name, early, file, line.number, line.text, detail).into_pyobject(py)
}
