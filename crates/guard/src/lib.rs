//! Fork-bomb prevention and detection.
