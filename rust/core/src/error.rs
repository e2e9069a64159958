//! The core's one error type, mapped onto the library's Python exception classes.

use serde_json::Value;
use std::fmt;

/// Which Python exception class an error becomes (`outreach_rules.errors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Input,
    Time,
    Vocabulary,
    Policy,
    MaxIterations,
    Engine,
    /// Raised by a [`crate::time::Sources`] implementation; the binding keeps the original.
    External,
}

impl ErrorKind {
    /// The name of the Python class in `outreach_rules.errors`.
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Input => "InputError",
            ErrorKind::Time => "TimeError",
            ErrorKind::Vocabulary => "VocabularyError",
            ErrorKind::Policy => "PolicyError",
            ErrorKind::MaxIterations => "MaxIterationsReached",
            ErrorKind::Engine => "EngineError",
            ErrorKind::External => "OutreachRulesError",
        }
    }
}

/// What went wrong and where: the fields of Python's `OutreachRulesError`, boxed, so that
/// a `Result` in the hot path stays one pointer wide.
#[derive(Debug, Clone, PartialEq)]
pub struct CoreError(Box<Details>);

/// The fields of a [`CoreError`], read and written through it.
#[derive(Debug, Clone, PartialEq)]
pub struct Details {
    pub kind: ErrorKind,
    pub message: String,
    pub field: Option<String>,
    /// The offending value, shown with Python's `repr` by the binding.
    pub value: Option<Value>,
    pub hint: Option<String>,
    pub file: Option<String>,
    pub line: Option<u64>,
    pub rule: Option<String>,
}

impl CoreError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CoreError(Box::new(Details {
            kind,
            message: message.into(),
            field: None,
            value: None,
            hint: None,
            file: None,
            line: None,
            rule: None,
        }))
    }

    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input, message)
    }

    pub fn time(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Time, message)
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn value(mut self, value: impl Into<Value>) -> Self {
        self.value = Some(value.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }

    /// Fill in the file and line where they are not known yet, as Python's `located()`.
    pub fn located(mut self, file: &str, line: u64) -> Self {
        if self.file.is_none() {
            self.file = Some(file.to_owned());
        }
        if self.line.is_none() {
            self.line = Some(line);
        }
        self
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = Vec::new();
        if let Some(file) = &self.file {
            match self.line {
                Some(line) => place.push(format!("{file}:{line}")),
                None => place.push(file.clone()),
            }
        }
        if let Some(rule) = &self.rule {
            place.push(format!("rule '{rule}'"));
        }
        if let Some(field) = &self.field {
            match &self.value {
                Some(value) => place.push(format!("{field}={value}")),
                None => place.push(field.clone()),
            }
        }
        if place.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{}: {}", place.join(", "), self.message)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CoreError {}

impl std::ops::Deref for CoreError {
    type Target = Details;

    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for CoreError {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
