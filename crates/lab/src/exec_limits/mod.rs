//! exec limits (in progress)
mod size;
pub use size::StackLimit;
