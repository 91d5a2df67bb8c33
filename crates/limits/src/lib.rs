//! limits.conf(5), parsed and resolved as pam_limits reads it.
