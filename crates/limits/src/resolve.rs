//! Which lines apply to a user, and which one wins, as `parse_config_file` and
//! `process_limit` decide.
//!
//! Each matching line carries a level (linux-pam's `LIMITS_DEF_*`, lower is more specific):
//! 0 user (a user name, or a uid range), 1 group (`@group`, `@gid` ranges), 2 `%group`,
//! 3 `%`, 4 `*`; 6 is "not set yet". `process_limit` overwrites a soft (or hard) value unless
//! the one already there came from a strictly more specific level: so a user line beats a
//! group line beats a `*` line whatever their order, and among equals the later line wins.
//! For `-`, soft is tried first and, if a more specific soft value blocks it, the hard
//! value is not tried at all (the function returns). maxlogins and maxsyslogins share one
//! slot with the same rule (and whichever of the two names was read last decides whether
//! logins are counted per user or system-wide). priority, nonewprivs and Debian's chroot have
//! no precedence: the last line that matches wins, even a `*` line after a user line.
//!
//! Files are read in order (the caller gives limits.conf first, then `limits.d/*.conf`).
//! A matching `<domain> -` line stops everything: pam_limits returns at once and sets no
//! limit at all, not even those read before it.
//!
//! Dialect differences: Debian's pam_limits does not apply `*` lines or `@group` lines to
//! uid 0 (measured with Debian 12's module: `*` and `@root` lines leave root alone, while
//! `:0`, `0:`, `@:0` and `@0:` lines, and `@root -`, do apply); upstream applies them to
//! root like anyone. Neither enforces maxlogins or maxsyslogins for uid 0 (`setup_limits`).

use crate::Dialect;
use crate::domain::Domain;
use crate::item::Item;
use crate::parse::{Entry, LimitType, Parsed, Rule, Source};
use crate::value::{Value, effective_rlimit};
use serde::Serialize;

/// The user a question is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// The login name.
    pub user: String,
    /// The uid.
    pub uid: u32,
    /// The primary gid (what `@min:max` ranges look at).
    pub gid: u32,
    /// Every group the user is in, the primary one included: (name, gid).
    pub groups: Vec<(String, u32)>,
}

/// A value that won, and the line it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The value as written.
    pub value: Value,
    /// The line.
    pub source: Source,
    /// The precedence level it was set with (0 user … 4 `*`).
    pub level: u8,
}

/// One item's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemLimits {
    /// The item.
    pub item: Item,
    /// The soft value, if a line set one.
    pub soft: Option<Setting>,
    /// The hard value, if a line set one.
    pub hard: Option<Setting>,
}

impl ItemLimits {
    /// Whether pam_limits lowers the soft value to the hard one (`setup_limits` does when
    /// the soft is above the hard).
    pub fn soft_lowered(&self) -> bool {
        match (&self.soft, &self.hard) {
            (Some(s), Some(h)) if self.item.is_rlimit() => {
                let soft = effective_rlimit(self.item, &s.value).unwrap_or(u64::MAX);
                let hard = effective_rlimit(self.item, &h.value).unwrap_or(u64::MAX);
                soft > hard
            }
            _ => false,
        }
    }
}

/// What pam_limits sets for a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The `<domain> -` line that made pam_limits set nothing, if one matched.
    pub no_limits: Option<Source>,
    /// Every item the dialect knows, in [`Item::ALL`] order.
    pub items: Vec<ItemLimits>,
}

/// How a domain matches the subject: its level, or None.
fn level(domain: &Domain, who: &Subject, dialect: Dialect, no_limits: bool) -> Option<u8> {
    let root_exempt = dialect == Dialect::Debian && who.uid == 0 && !no_limits;
    let member = |name: &str| who.groups.iter().any(|(g, _)| g == name);
    let member_gid = |gid: u32| who.groups.iter().any(|&(_, g)| g == gid);
    if *domain == Domain::User(who.user.clone()) {
        return Some(0);
    }
    let matched = match domain {
        Domain::User(_) => None,
        Domain::Uid(ids) => ids.contains(who.uid).then_some(0),
        Domain::Group(name) => (member(name) && !root_exempt).then_some(1),
        Domain::Gid(crate::IdMatch::Exact(gid)) => member_gid(*gid).then_some(1),
        Domain::Gid(ids) => ids.contains(who.gid).then_some(1),
        Domain::LoginGroup(name) => member(name).then_some(2),
        Domain::LoginGid(crate::IdMatch::Exact(gid)) => member_gid(*gid).then_some(2),
        Domain::LoginGid(_) => None,
        Domain::AllLogins => Some(3),
        Domain::Wildcard => (!root_exempt).then_some(4),
    };
    // "<domain> -" is honoured for a user name, @group, @gid and uid ranges only.
    let honoured =
        !no_limits || matches!(domain, Domain::Uid(_) | Domain::Group(_) | Domain::Gid(_));
    matched.filter(|_| honoured)
}

/// Resolves `files` (in the order pam_limits reads them) for `who`.
pub fn resolve(files: &[Parsed], who: &Subject, dialect: Dialect) -> Resolved {
    // The items this dialect knows (no `chroot` upstream, no `rttime` in Debian's 1.5).
    let mut items: Vec<ItemLimits> = Item::ALL
        .iter()
        .filter(|item| Item::from_name(item.name(), dialect).is_some())
        .map(|&item| ItemLimits {
            item,
            soft: None,
            hard: None,
        })
        .collect();
    let mut system_wide = false;
    for entry in files.iter().flat_map(|f| &f.entries) {
        let no_limits = entry.rule == Rule::NoLimits;
        let Some(level) = level(&entry.domain, who, dialect, no_limits) else {
            continue;
        };
        match &entry.rule {
            Rule::NoLimits => {
                let mut cleared = resolve(&[], who, dialect);
                cleared.no_limits = Some(entry.source.clone());
                return cleared;
            }
            Rule::Set { ty, item, value } => {
                if matches!(item, Item::Maxlogins | Item::Maxsyslogins) {
                    system_wide = *item == Item::Maxsyslogins;
                }
                apply(&mut items, entry, (*ty, *item, value), level);
            }
        }
    }
    place_logins(&mut items, system_wide);
    Resolved {
        no_limits: None,
        items,
    }
}

/// `process_limit`'s last step for one line that matched.
fn apply(
    items: &mut [ItemLimits],
    entry: &Entry,
    (ty, item, value): (LimitType, Item, &Value),
    level: u8,
) {
    // maxlogins and maxsyslogins share one slot: keep it in the maxlogins row until the end.
    let slot = if item == Item::Maxsyslogins {
        Item::Maxlogins
    } else {
        item
    };
    let row = items
        .iter_mut()
        .find(|r| r.item == slot)
        .expect("every item has a row");
    let setting = Setting {
        value: value.clone(),
        source: entry.source.clone(),
        level,
    };
    let unordered = matches!(item, Item::Priority | Item::Nonewprivs | Item::Chroot);
    if unordered {
        row.soft = Some(setting.clone());
        row.hard = Some(setting);
        return;
    }
    let wins = |current: &Option<Setting>| current.as_ref().is_none_or(|c| c.level >= level);
    let logins = slot == Item::Maxlogins;
    if logins || matches!(ty, LimitType::Soft | LimitType::Both) {
        if !wins(&row.soft) {
            return;
        }
        row.soft = Some(setting.clone());
        if logins {
            row.hard = Some(setting);
            return;
        }
    }
    if matches!(ty, LimitType::Hard | LimitType::Both) && wins(&row.hard) {
        row.hard = Some(setting);
    }
}

/// Moves the shared login slot to the maxsyslogins row when logins are counted system-wide.
fn place_logins(items: &mut [ItemLimits], system_wide: bool) {
    if !system_wide {
        return;
    }
    let find = |items: &[ItemLimits], item| items.iter().position(|r: &ItemLimits| r.item == item);
    let (Some(from), Some(to)) = (
        find(items, Item::Maxlogins),
        find(items, Item::Maxsyslogins),
    ) else {
        return;
    };
    let (soft, hard) = (items[from].soft.take(), items[from].hard.take());
    items[to].soft = soft;
    items[to].hard = hard;
}
