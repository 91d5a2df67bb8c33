//! The environment a child gets: the parent's, edited, or a fresh one.
//!
//! An untouched environment costs nothing: the child gets the parent's `environ` array as is.
//! Only an edited one is copied into new `KEY=VALUE` strings at spawn time.

use std::collections::BTreeMap;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Edits to apply to the parent's environment.
#[derive(Clone, Debug, Default)]
pub(crate) struct CommandEnv {
    clear: bool,
    /// `Some(value)` sets, `None` removes.
    vars: BTreeMap<OsString, Option<OsString>>,
}

impl CommandEnv {
    pub(crate) fn set(&mut self, key: &OsStr, value: &OsStr) {
        self.vars.insert(key.to_owned(), Some(value.to_owned()));
    }

    pub(crate) fn remove(&mut self, key: &OsStr) {
        if self.clear {
            self.vars.remove(key);
        } else {
            self.vars.insert(key.to_owned(), None);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.clear = true;
        self.vars.clear();
    }

    /// True when the child can simply get the parent's `environ`.
    pub(crate) fn is_unchanged(&self) -> bool {
        !self.clear && self.vars.is_empty()
    }

    /// Whether a variable to set has a key or value `execve` cannot carry (empty key, a NUL,
    /// or `=` in a key). Removing such a key is no error: it cannot be there.
    pub(crate) fn is_invalid(&self) -> bool {
        self.vars.iter().any(|(k, v)| {
            v.as_ref().is_some_and(|v| {
                k.is_empty()
                    || k.as_bytes().contains(&b'=')
                    || k.as_bytes().contains(&0)
                    || v.as_bytes().contains(&0)
            })
        })
    }

    /// The resulting environment as `KEY=VALUE` strings.
    pub(crate) fn capture(&self) -> Vec<CString> {
        let mut result: BTreeMap<OsString, OsString> = BTreeMap::new();
        if !self.clear {
            result.extend(std::env::vars_os());
        }
        for (key, value) in &self.vars {
            match value {
                Some(value) => result.insert(key.clone(), value.clone()),
                None => result.remove(key),
            };
        }
        result.into_iter().filter_map(|(k, v)| pair(k, v)).collect()
    }

    /// The `PATH` the child's program is searched in: the one set here, else the parent's.
    pub(crate) fn search_path(&self) -> Option<OsString> {
        match self.vars.get(OsStr::new("PATH")) {
            Some(value) => value.clone(),
            None if self.clear => None,
            None => std::env::var_os("PATH"),
        }
    }

    /// Whether `PATH` differs from the parent's.
    pub(crate) fn path_overridden(&self) -> bool {
        self.clear || self.vars.contains_key(OsStr::new("PATH"))
    }

    /// The edits, for inspection: `(key, Some(value))` sets, `(key, None)` removes.
    pub(crate) fn edits(&self) -> impl Iterator<Item = (&OsStr, Option<&OsStr>)> {
        self.vars.iter().map(|(k, v)| (k.as_os_str(), v.as_deref()))
    }

    pub(crate) fn is_cleared(&self) -> bool {
        self.clear
    }
}

fn pair(key: OsString, value: OsString) -> Option<CString> {
    let mut bytes = key.into_vec();
    bytes.push(b'=');
    bytes.extend_from_slice(value.as_bytes());
    CString::new(bytes).ok()
}
