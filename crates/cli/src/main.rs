//! The `keybound` command: glue between the Keybound crates and the command line.
//!
//! `main` is the one place that prints results and errors and chooses the
//! exit status: 0 when every check passed, 1 when a check failed, 2 when the
//! options or the input could not be used. The commands return values.
//!
//! Commands: `keybound serve` (the identity server), `keybound admin
//! tap|token|attestation` (operator commands on the same data), and `keybound inspect
//! registration|authentication`, which verifies a captured WebAuthn response
//! and explains every check.

mod args;
mod attestation;
mod error;
mod inspect;
mod partial;
mod report;
mod server;
mod settings;
mod time;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Admin, Cli, Command};
use crate::error::Error;

/// Every check passed.
const EXIT_PASSED: u8 = 0;
/// A check failed.
const EXIT_CHECK_FAILED: u8 = 1;
/// The options or the input could not be used.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap's own message: usage errors (exit 2), or --help and --version (exit 0).
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match run(cli) {
        Ok((output, passed)) => {
            let mut stdout = io::stdout().lock();
            if let Err(error) = stdout
                .write_all(output.as_bytes())
                .and_then(|()| stdout.flush())
            {
                if error.kind() != io::ErrorKind::BrokenPipe {
                    let _ = writeln!(io::stderr(), "keybound: cannot write the report: {error}");
                    return ExitCode::from(EXIT_USAGE);
                }
            }
            ExitCode::from(if passed {
                EXIT_PASSED
            } else {
                EXIT_CHECK_FAILED
            })
        }
        Err(error) => {
            let _ = writeln!(io::stderr(), "keybound: {error}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Runs the command; returns the text for standard output and whether every check passed.
fn run(cli: Cli) -> Result<(String, bool), Error> {
    match cli.command {
        Command::Serve(args) => Ok((server::serve(args)?, true)),
        Command::Admin(Admin::Tap(args)) => Ok((server::admin_tap(args)?, true)),
        Command::Admin(Admin::Token(args)) => Ok((server::admin_token(args)?, true)),
        Command::Admin(Admin::Attestation(command)) => Ok((attestation::run(command)?, true)),
        Command::Inspect(command) => {
            let inspection = inspect::run(command)?;
            let output = if inspection.json {
                report::json(&inspection.report)?
            } else {
                report::human(&inspection.report)
            };
            Ok((output, inspection.report.passed()))
        }
    }
}
