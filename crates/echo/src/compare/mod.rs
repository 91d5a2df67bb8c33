//! `forklab echo compare`: every model under the same load, side by side.
