//! Calendars from Python: zones from `zoneinfo`, holidays from `holidays`, instants from
//! `datetime`, through the object `outreach_rules._rust` hands over.

use outreach_core::model::Instant;
use outreach_core::time::{operators, Sources, YearTable};
use outreach_core::{CoreError, ErrorKind, Result};
use pyo3::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A [`Sources`] that asks a Python object, keeping the exceptions it raises so that the
/// caller sees the very same exception (an unknown zone's `TimeError`, say).
pub struct PySources {
    object: Py<PyAny>,
    raised: Mutex<HashMap<u64, PyErr>>,
    next: AtomicU64,
}

impl PySources {
    pub fn new(object: Py<PyAny>) -> Self {
        PySources {
            object,
            raised: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
        }
    }

    /// The Python object that answers.
    pub fn object(&self, py: Python<'_>) -> Py<PyAny> {
        self.object.clone_ref(py)
    }

    /// The Python exception behind an `External` error, once.
    pub fn take(&self, error: &CoreError) -> Option<PyErr> {
        let handle = error.value.as_ref()?.as_u64()?;
        self.raised
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&handle)
    }

    fn call<A, T>(&self, method: &str, args: A) -> Result<T>
    where
        A: for<'py> pyo3::call::PyCallArgs<'py>,
        T: for<'a, 'py> FromPyObject<'a, 'py>,
    {
        Python::attach(|py| {
            self.object
                .bind(py)
                .call_method1(method, args)
                .and_then(|found| found.extract::<T>().map_err(Into::into))
                .map_err(|error| self.keep(error))
        })
    }

    fn keep(&self, error: PyErr) -> CoreError {
        let handle = self.next.fetch_add(1, Ordering::Relaxed);
        self.raised
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(handle, error);
        // The handle rides in `value`: an External error has no value of its own.
        CoreError::new(ErrorKind::External, "raised in Python").value(handle)
    }
}

impl Sources for PySources {
    fn zone_year(&self, zone: &str, year: i32) -> Result<YearTable> {
        let (starts, offsets): (Vec<i64>, Vec<i64>) = self.call("zone_year", (zone, year))?;
        Ok(YearTable { starts, offsets })
    }

    fn holidays(&self, country: &str, subdivision: Option<&str>, year: i32) -> Result<Vec<i64>> {
        self.call("holidays", (country, subdivision, year))
    }

    fn instant(&self, text: &str, field: &str) -> Result<Instant> {
        self.call("instant", (text, field))
    }

    fn repr(&self, text: &str) -> String {
        Python::attach(|py| {
            pyo3::types::PyString::new(py, text)
                .repr()
                .map(|shown| shown.to_string())
        })
        .unwrap_or_else(|_| operators::py_repr_str(text))
    }
}
