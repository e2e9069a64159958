//! The core's errors and values as Python objects.

use crate::sources::PySources;
use outreach_core::{CoreError, ErrorKind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

/// The library's exception for `error` (an instance, not raised): the class its kind
/// names in `outreach_rules.errors`, with the same structured fields.
pub fn exception(py: Python<'_>, error: &CoreError, sources: &PySources) -> PyResult<Py<PyAny>> {
    if error.kind == ErrorKind::External {
        if let Some(raised) = sources.take(error) {
            return Ok(raised.into_value(py).into_any());
        }
    }
    let class = py
        .import("outreach_rules.errors")?
        .getattr(error.kind.class_name())?;
    let fields = PyDict::new(py);
    fields.set_item("field", &error.field)?;
    fields.set_item("hint", &error.hint)?;
    fields.set_item("file", &error.file)?;
    fields.set_item("line", error.line)?;
    fields.set_item("rule", &error.rule)?;
    if let Some(value) = &error.value {
        fields.set_item("value", python_value(py, value)?)?;
    }
    Ok(class
        .call((error.message.as_str(),), Some(&fields))?
        .unbind())
}

/// JSON data as the Python values `json.loads` gives.
pub fn python_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => flag.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(number) => {
            if let Some(whole) = number.as_i64() {
                whole.into_pyobject(py)?.into_any()
            } else if let Some(whole) = number.as_u64() {
                whole.into_pyobject(py)?.into_any()
            } else {
                number
                    .as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
            }
        }
        Value::String(text) => text.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(python_value(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, python_value(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

pub fn value_error(message: String) -> PyErr {
    PyValueError::new_err(message)
}
