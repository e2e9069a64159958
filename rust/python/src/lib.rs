//! `outreach_rules._core`: the planning core for Python, in a few batch functions.
//!
//! Customers cross the boundary many at a time, as JSON Lines; the planning runs with
//! the GIL released, in threads; each customer's result comes back in order, as bytes or
//! as the library's own exception (never raised here, so that a batch can go on past a
//! bad customer). Zones, holidays and unusual instants come from a Python object (see
//! `outreach_rules/_rust.py`), so that both planning cores read the same calendars.

mod batch;
mod convert;
mod sources;

use outreach_core::arbitration;
use outreach_core::model::{Customer, Event, Instant};
use outreach_core::policy::Policy;
use outreach_core::records::Form;
use outreach_core::time::Calendars;
use outreach_core::{CoreError, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde::Deserialize;
use sources::PySources;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// One customer and their history, as `outreach_rules._rust` writes them.
#[derive(Deserialize)]
struct Group {
    customer: Customer,
    history: Vec<Event>,
}

/// How a compiled policy pickles: its class, and what `new` takes.
type Reduced<'py> = (Bound<'py, PyAny>, (Py<PyBytes>, Py<PyAny>));

/// A policy compiled once into the core, with the calendars it plans in.
#[pyclass(frozen, module = "outreach_rules._core")]
struct CompiledPolicy {
    policy: Arc<Policy>,
    calendars: Arc<Calendars>,
    sources: Arc<PySources>,
    /// What it was made from, so that it pickles (a policy that carries it does).
    compiled: Py<PyBytes>,
}

#[pymethods]
impl CompiledPolicy {
    /// Compile `policy` (the JSON of `outreach_rules._compile`); `sources` answers for
    /// zones, holidays and instants.
    #[new]
    fn new(compiled: Bound<'_, PyBytes>, sources: Py<PyAny>) -> PyResult<Self> {
        let policy: Policy = serde_json::from_slice(compiled.as_bytes()).map_err(|error| {
            pyo3::exceptions::PyValueError::new_err(format!("not a compiled policy: {error}"))
        })?;
        let sources = Arc::new(PySources::new(sources));
        Ok(CompiledPolicy {
            policy: Arc::new(policy),
            calendars: Arc::new(Calendars::new(sources.clone())),
            sources,
            compiled: compiled.unbind(),
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>, py: Python<'py>) -> PyResult<Reduced<'py>> {
        let this = slf.get();
        let args = (this.compiled.clone_ref(py), this.sources.object(py));
        Ok((slf.get_type().into_any(), args))
    }

    /// Each group's decisions as records (JSON Lines or CSV rows), or its exception.
    #[pyo3(signature = (groups, now, *, form = "jsonl", trace = "full", threads = 1))]
    fn plan_records(
        &self,
        py: Python<'_>,
        groups: &[u8],
        now: Instant,
        form: &str,
        trace: &str,
        threads: usize,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let form = match form {
            "jsonl" => Form::Jsonl,
            "csv" => Form::Csv,
            _ => {
                return Err(convert::value_error(format!(
                    "form={form:?} is not jsonl or csv"
                )))
            }
        };
        let trace = batch::trace_named(trace)?;
        let (policy, calendars) = (&*self.policy, &*self.calendars);
        let results = self.each_group(py, groups, threads, |customer, history| {
            let mut out = Vec::with_capacity(1024);
            arbitration::plan_records(
                policy, calendars, customer, history, now, &mut out, form, trace,
            )?;
            Ok(out)
        });
        self.to_python(py, results)
    }

    /// Each group's decisions as a JSON array of raw decisions (instants as seconds).
    #[pyo3(signature = (groups, now, *, threads = 1))]
    fn plan_raw(
        &self,
        py: Python<'_>,
        groups: &[u8],
        now: Instant,
        threads: usize,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let (policy, calendars) = (&*self.policy, &*self.calendars);
        let results = self.each_group(py, groups, threads, |customer, history| {
            let decisions = arbitration::plan(policy, calendars, customer, history, now)?;
            serde_json::to_vec(&decisions)
                .map_err(|error| CoreError::new(ErrorKind::Engine, error.to_string()))
        });
        self.to_python(py, results)
    }
}

type Rendered = Result<Vec<u8>, CoreError>;

impl CompiledPolicy {
    /// Read every group (one JSON object per line) and hand it to `plan`, in `threads`
    /// threads with the GIL released; the results in the order of the groups.
    fn each_group<F>(&self, py: Python<'_>, groups: &[u8], threads: usize, plan: F) -> Vec<Rendered>
    where
        F: Fn(&Customer, Vec<Event>) -> Rendered + Sync,
    {
        let lines: Vec<&[u8]> = groups
            .split(|byte| *byte == b'\n')
            .filter(|line| !line.is_empty())
            .collect();
        let work = |line: &[u8]| -> Rendered {
            guarded(|| {
                let Group { customer, history } =
                    serde_json::from_slice(line).map_err(|error| {
                        CoreError::new(
                            ErrorKind::Engine,
                            format!("a group the core cannot read: {error}"),
                        )
                    })?;
                plan(&customer, history)
            })
        };
        py.detach(|| {
            if threads <= 1 || lines.len() < 2 {
                return lines.iter().map(|line| work(line)).collect();
            }
            let size = lines.len().div_ceil(threads);
            std::thread::scope(|scope| {
                let parts: Vec<_> = lines
                    .chunks(size)
                    .map(|part| {
                        let work = &work;
                        scope.spawn(move || part.iter().map(|line| work(line)).collect::<Vec<_>>())
                    })
                    .collect();
                parts
                    .into_iter()
                    .flat_map(|part| {
                        part.join()
                            .unwrap_or_else(|panic| vec![Err(panicked(&panic))])
                    })
                    .collect()
            })
        })
    }

    fn to_python(&self, py: Python<'_>, results: Vec<Rendered>) -> PyResult<Vec<Py<PyAny>>> {
        results
            .into_iter()
            .map(|result| match result {
                Ok(bytes) => Ok(PyBytes::new(py, &bytes).into_any().unbind()),
                Err(error) => convert::exception(py, &error, &self.sources),
            })
            .collect()
    }
}

/// `work()`, with a panic turned into the library's own error: none crosses into Python.
fn guarded(work: impl FnOnce() -> Rendered) -> Rendered {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| Err(panicked(&panic)))
}

fn panicked(panic: &Box<dyn std::any::Any + Send>) -> CoreError {
    let text = if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "no message".to_owned()
    };
    CoreError::new(
        ErrorKind::Engine,
        format!("the Rust core failed on this customer ({text}); this is a bug, please report it"),
    )
}

/// The core's version, for `outreach-rules --version`.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CompiledPolicy>()?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(batch::plan_files, m)?)?;
    Ok(())
}
