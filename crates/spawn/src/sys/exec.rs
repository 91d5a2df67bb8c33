//! Replacing the current process.

use super::child::{self, ChildPlan, Failure};

/// Applies `plan` to this process and execs; returns only on failure, with the signal
/// dispositions and mask as they were before (descriptors, directory, session, limits and
/// credentials stay as the plan set them).
pub(crate) fn exec_in_place(plan: &ChildPlan<'_>) -> Failure {
    let saved = child::SavedSignals::take();
    let failure = child::apply(plan);
    saved.restore();
    failure
}
