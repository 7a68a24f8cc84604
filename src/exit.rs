//! Exit codes, as one ordered type: the only place numbers are given to outcomes.
//!
//! 0 ok, 1 verification failed or refused, 2 usage or configuration, 3 network, source or
//! local I/O, 4 a newer release under `check --fail-on-update`. With several projects the
//! most serious wins: 1 > 2 > 3 > 4 > 0 ([`Exit::worst`]).

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// Everything verified (or there was nothing to verify).
    Ok,
    /// A newer release exists and `--fail-on-update` was given (exit 4).
    Update,
    /// The network, a source or the local disk failed (exit 3); retrying may help.
    Unavailable,
    /// Usage or configuration: command line, watch file, keyring, pins (exit 2).
    Usage,
    /// A signature or a file was refused (exit 1).
    Refused,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Refused => 1,
            Exit::Usage => 2,
            Exit::Unavailable => 3,
            Exit::Update => 4,
        }
    }

    fn rank(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Update => 1,
            Exit::Unavailable => 2,
            Exit::Usage => 3,
            Exit::Refused => 4,
        }
    }

    /// The most serious of several outcomes; [`Exit::Ok`] for none.
    pub fn worst(exits: impl IntoIterator<Item = Exit>) -> Exit {
        exits
            .into_iter()
            .max_by_key(|e| e.rank())
            .unwrap_or(Exit::Ok)
    }

    /// [`Exit::Ok`] when `ok`, else [`Exit::Refused`].
    pub fn refused_unless(ok: bool) -> Exit {
        if ok { Exit::Ok } else { Exit::Refused }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_outranks_config_outranks_network_outranks_update() {
        use Exit::*;
        assert_eq!(Exit::worst([Unavailable, Usage, Refused, Ok]), Refused);
        assert_eq!(Exit::worst([Unavailable, Usage, Ok]), Usage);
        assert_eq!(Exit::worst([Update, Unavailable, Ok]), Unavailable);
        assert_eq!(Exit::worst([Ok, Update]), Update);
        assert_eq!(Exit::worst([]), Ok);
        assert_eq!(
            [Ok, Refused, Usage, Unavailable, Update].map(Exit::code),
            [0, 1, 2, 3, 4]
        );
    }
}
