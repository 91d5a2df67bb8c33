//! The guard's TOML configuration file: the same names as [`GuardConfig`]'s fields.
//!
//! ```toml
//! action = "kill"            # kill, stop or log
//! events = "/var/log/forklab-guard.jsonl"
//! metrics = "127.0.0.1:9464"
//! exempt_users = ["builder"]
//!
//! [thresholds]
//! score = 300                # decayed forks
//! tasks = 300                # live processes of the uid
//! half_life_ms = 1000
//!
//! [exempt]
//! below = 1000               # every uid below this
//! uids = [1500]
//! ```
//! Unknown keys and values of the wrong kind are errors naming the key, never ignored: a
//! typo in a safety setting must not pass silently.

use crate::guard::GuardConfig;

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {key}: {message}")]
pub struct ConfigError {
    /// The file.
    pub file: String,
    /// The key at fault, dotted (`thresholds.score`), or `-` for the file as a whole.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Parses a configuration file's text; `file` names it in errors. Keys left out keep their
/// defaults.
pub fn from_toml(text: &str, file: &str) -> Result<GuardConfig, ConfigError> {
    let error = |key: String, message: String| ConfigError {
        file: file.to_string(),
        key,
        message,
    };
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|e| error("-".into(), e.message().trim().to_string()))?;
    let config: GuardConfig = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { "-".to_string() } else { key };
        let message = e.into_inner().message().trim().to_string();
        error(key, message)
    })?;
    check(&config).map_err(|(key, message)| error(key.to_string(), message))?;
    Ok(config)
}

/// Values that parse but make no sense.
pub fn check(config: &GuardConfig) -> Result<(), (&'static str, String)> {
    let t = &config.thresholds;
    if !(t.score.is_finite() && t.score >= 1.0) {
        return Err((
            "thresholds.score",
            format!("must be at least 1, got {}", t.score),
        ));
    }
    if t.tasks < 1 {
        return Err(("thresholds.tasks", "must be at least 1".into()));
    }
    if t.half_life_ms < 1 {
        return Err(("thresholds.half_life_ms", "must be at least 1".into()));
    }
    if config.receive_buffer < 4096 {
        return Err(("receive_buffer", "must be at least 4096 bytes".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::respond::Action;

    #[test]
    fn a_full_file() {
        let text = r#"
action = "stop"
events = "/tmp/x.jsonl"
metrics = "127.0.0.1:9464"
exempt_users = ["builder"]
[thresholds]
score = 500
tasks = 200
half_life_ms = 250
[exempt]
below = 500
uids = [1500]
"#;
        let c = from_toml(text, "guard.toml").unwrap();
        assert_eq!(c.action, Action::Stop);
        assert_eq!(c.thresholds.score, 500.0);
        assert_eq!(c.thresholds.tasks, 200);
        assert_eq!(c.exempt.below, 500);
        assert_eq!(c.exempt.uids, vec![1500]);
        assert_eq!(c.metrics.unwrap().port(), 9464);
        assert_eq!(from_toml("", "empty.toml").unwrap(), GuardConfig::default());
    }

    #[test]
    fn the_shipped_example_is_the_defaults() {
        let text = include_str!("../../../contrib/guard.toml");
        assert_eq!(
            from_toml(text, "guard.toml").unwrap(),
            GuardConfig::default()
        );
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let cases = [
            ("actoin = \"kill\"", "actoin: unknown field `actoin`"),
            ("action = \"explode\"", "action: unknown variant `explode`"),
            (
                "[thresholds]\nscore = \"high\"",
                "thresholds.score: invalid type",
            ),
            (
                "[thresholds]\ntasks = -3",
                "thresholds.tasks: invalid value",
            ),
            (
                "[thresholds]\ntasks = 0",
                "thresholds.tasks: must be at least 1",
            ),
            (
                "[exempt]\nuids = [1, \"x\"]",
                "exempt.uids[1]: invalid type",
            ),
            (
                "metrics = \"not an address\"",
                "metrics: invalid socket address",
            ),
            ("[thresholds\n", "-: "),
        ];
        for (text, expected) in cases {
            let e = from_toml(text, "g.toml").unwrap_err().to_string();
            assert!(e.starts_with("g.toml: "), "{e}");
            assert!(e.contains(expected), "{text:?}: {e}");
        }
    }
}
