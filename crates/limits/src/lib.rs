//! limits.conf(5), parsed and resolved exactly as pam_limits reads it: a pure library (the
//! caller reads the files and hands over their text; nothing here touches the system).
//!
//! What pam_limits does was read from its source, `modules/pam_limits/pam_limits.c` of
//! linux-pam: the current version (the one with `LIMITS_DEF_KERNEL`, `split()`, vendor
//! `limits.d` and `set_all`, linux-pam 1.6/1.7), and linux-pam 1.5's (`sscanf`), and checked
//! against Debian 12's `pam_limits.so` (libpam-modules 1.5.2-6+deb12u1) by opening sessions
//! with it. The two readings differ in small ways, so each is a [`Dialect`]. Each module's
//! documentation says which rule it models and where the rule comes from:
//!
//! * [`parse()`] (and its private `line` module): how a file becomes lines and a line fields (comments, `#`
//!   mid-line, white space, a fifth field, long lines);
//! * [`Domain`]: user, `@group`, `%group`, `*`, `%`, uid and gid ranges;
//! * [`Value`]: `-1`/`unlimited`/`infinity`, `strtoull` and `strtol` quirks, units;
//! * [`resolve()`]: which lines apply to a user and which one wins.
//!
//! Debian's `chroot` item is Debian's own patch (not upstream): [`Dialect::Debian`] knows it;
//! its value is a path, lowercased like every value (measured: `/tmp/JAIL` chroots to
//! `/tmp/jail`), and like priority the last matching line wins.
//!
//! What pam_limits would skip is a [`Problem`] with `skipped: true`; a line it uses but reads
//! differently from how it looks (`1024abc`, a negative rlimit) is a [`Problem`] too, with
//! `skipped: false`. Nothing is silently dropped.
//!
//! ```
//! use forklab_limits::{Dialect, Subject, parse, resolve};
//! let conf = parse("limits.conf", "*  soft nproc 100\n@dev hard nproc 500\nbob - nproc 50\n", Dialect::Debian);
//! let bob = Subject { user: "bob".into(), uid: 1000, gid: 1000, groups: vec![("dev".into(), 1000)] };
//! let r = resolve(&[conf], &bob, Dialect::Debian);
//! let nproc = r.items.iter().find(|i| i.item.name() == "nproc").unwrap();
//! assert_eq!(nproc.soft.as_ref().unwrap().source.to_string(), "limits.conf:3");
//! ```
#![deny(missing_docs)]

mod cnum;
mod domain;
mod item;
mod line;
mod parse;
mod resolve;
mod value;

pub use domain::{Domain, IdMatch};
pub use item::{Item, ValueKind};
pub use parse::{Entry, LimitType, Parsed, Problem, Rule, Source, parse};
pub use resolve::{ItemLimits, Resolved, Setting, Subject, resolve};
pub use value::{Value, effective_rlimit};

use serde::Serialize;

/// Whose pam_limits to model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Debian's (and Ubuntu's) linux-pam 1.5: `sscanf` fields, 1023-byte lines, the `chroot`
    /// item, `*` and `@group` lines not applied to root. What this project's machines run.
    #[default]
    Debian,
    /// Current upstream linux-pam: `split()` fields (the value is the rest of the line), no
    /// line length limit, no `chroot`, `*` and `@group` apply to root too.
    Upstream,
}

/// The `*.conf` names of a `limits.d` listing, in the order pam_limits reads them: names
/// ending in `.conf` that do not start with a dot (glob's `*` skips those), sorted bytewise
/// (`strcmp`; 1.5 sorts with `LC_COLLATE=C`, the same).
///
/// Names are bytes, as the kernel keeps them: one that is not UTF-8 is read like any other.
pub fn limits_d_order<I, S>(names: I) -> Vec<std::ffi::OsString>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    use std::os::unix::ffi::OsStrExt;
    let mut names: Vec<std::ffi::OsString> = names
        .into_iter()
        .map(Into::into)
        .filter(|n| {
            let bytes = n.as_bytes();
            bytes.ends_with(b".conf") && !bytes.starts_with(b".")
        })
        .collect();
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    names
}
