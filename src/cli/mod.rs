//! The commands of the `lbsim` binary, one file each: `serve` (the API server, with the
//! controller emulation on its clusters), `run` (scenario files), `live` (`apply`, `delete`,
//! `get` against a running server), `plan` (the quota planner), `health` (exit 0 when a server
//! answers). `main.rs` holds only the clap definitions and calls these.
//!
//! May call: everything below. Each command returns its exit status: 0 success, 1 a failure of
//! what was asked (a scenario failed, the server stopped on an error), 2 a usage error (a bad
//! flag value, a file that cannot be read or parsed).

pub mod health;
pub mod live;
pub mod plan;
pub mod run;
pub mod serve;

use std::process::ExitCode;

/// A usage error: the message on stderr, exit status 2.
pub fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("lbsim: {msg}");
    ExitCode::from(2)
}

/// A multi-threaded runtime for a command.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| {
        eprintln!("lbsim: cannot start the async runtime: {e}");
        ExitCode::from(1)
    })
}
