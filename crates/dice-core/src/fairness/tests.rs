//! Fairness against reference values.
