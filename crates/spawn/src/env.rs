//! The environment a child gets: the parent's, edited, or a fresh one.
//!
//! glibc's live `environ` array is rewritten in place and reallocated by `setenv` and
//! `unsetenv`, so handing it to `execve` while another thread calls `std::env::set_var` can
//! make the kernel read a moved or shortened array (`EFAULT`). So an [`EnvBlock`] is either
//! a copy taken through `std::env::vars_os()`, which holds std's environment lock (as
//! `std::process::Command` reads the environment), in one `KEY=VALUE` buffer with one
//! pointer array; or, for a process that has never had a second thread (where no `set_var`
//! can run meanwhile), the live array itself, which saves the copy (about 4 µs for 35
//! variables here).

use libc::c_char;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

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

    /// True when the child gets the parent's environment as it is.
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

    /// The resulting environment: copied now, or (unchanged, in a single-threaded process) the
    /// live one.
    pub(crate) fn capture(&self) -> EnvBlock {
        if self.is_unchanged() {
            return EnvBlock::inherited();
        }
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
        EnvBlock::new(result.into_iter())
    }

    /// The `PATH` the child's program is searched in: the one set here, else the parent's.
    pub(crate) fn search_path(&self) -> Option<OsString> {
        match self.vars.get(OsStr::new("PATH")) {
            Some(value) => value.clone(),
            None if self.clear => None,
            None => std::env::var_os("PATH"),
        }
    }

    /// The edits, for inspection: `(key, Some(value))` sets, `(key, None)` removes.
    pub(crate) fn edits(&self) -> impl Iterator<Item = (&OsStr, Option<&OsStr>)> {
        self.vars.iter().map(|(k, v)| (k.as_os_str(), v.as_deref()))
    }

    pub(crate) fn is_cleared(&self) -> bool {
        self.clear
    }
}

/// The child's `envp`: copied `KEY=VALUE` strings in one buffer with the nul-terminated array
/// pointing into it, or the parent's own array where nothing can change it.
pub(crate) enum EnvBlock {
    Copied {
        _bytes: Vec<u8>,
        pointers: Vec<*const c_char>,
    },
    /// The live `environ`, read at the moment of `execve` (a null `envp` in the child's plan).
    Live,
}

impl EnvBlock {
    /// The parent's environment as it is: live when this process has a single thread.
    fn inherited() -> EnvBlock {
        if crate::sys::environ::single_threaded() {
            EnvBlock::Live
        } else {
            EnvBlock::new(std::env::vars_os())
        }
    }

    fn new(vars: impl Iterator<Item = (OsString, OsString)>) -> EnvBlock {
        let vars: Vec<_> = vars
            .filter(|(k, v)| !k.as_bytes().contains(&0) && !v.as_bytes().contains(&0))
            .collect();
        let size = vars.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut bytes = Vec::with_capacity(size);
        let mut offsets = Vec::with_capacity(vars.len());
        for (key, value) in &vars {
            offsets.push(bytes.len());
            bytes.extend_from_slice(key.as_bytes());
            bytes.push(b'=');
            bytes.extend_from_slice(value.as_bytes());
            bytes.push(0);
        }
        let base = bytes.as_ptr();
        let pointers = offsets
            .into_iter()
            .map(|offset| base.wrapping_add(offset).cast::<c_char>())
            .chain([std::ptr::null()])
            .collect();
        EnvBlock::Copied {
            _bytes: bytes,
            pointers,
        }
    }

    /// The `envp` array, valid while this block lives (moving it moves no bytes); null for
    /// the live environment, which is read when it is used.
    pub(crate) fn envp(&self) -> *const *const c_char {
        match self {
            EnvBlock::Copied { pointers, .. } => pointers.as_ptr(),
            EnvBlock::Live => std::ptr::null(),
        }
    }
}
