//! [`ConfigError`]: the one way every crate that reads the environment says
//! which setting is wrong.

/// A setting that is missing or malformed, named so the operator knows what to fix.
///
/// Its `Display` is one line, the variable first:
///
/// ```
/// use dice_core::ConfigError;
///
/// let err = ConfigError::new("DB_PORT", "must be a whole number from 1 to 65535, not \"x\"");
/// assert_eq!(err.to_string(), "DB_PORT must be a whole number from 1 to 65535, not \"x\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct ConfigError {
    /// The environment variable, flag or builder setting at fault.
    pub variable: &'static str,
    /// What is wrong with it, as the rest of a sentence that starts with its name.
    pub problem: String,
}

impl ConfigError {
    /// An error about `variable`.
    pub fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}
