//! The binary of a service: logging, settings from the environment, its command, and a clean
//! stop on a signal.

use envconfig::Envconfig;

use crate::{Application, StartError};

/// Logging for binaries, to standard error: `RUST_LOG` if set, `info` otherwise; text, or
/// JSON lines with `LOG_FORMAT=json` ([`telemetry::logging`]). `Err` names the variable.
pub fn init_logging() -> Result<(), StartError> {
    let format = telemetry::logging::Format::from_env().map_err(StartError::Other)?;
    telemetry::logging::init(format);
    Ok(())
}

/// Listens for Ctrl-C (SIGINT) and SIGTERM from now on; the future resolves on the first.
/// The handlers are installed before this returns, so a signal that arrives before the future
/// is first polled still stops the process cleanly rather than killing it.
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Installs the handlers for Ctrl-C and SIGTERM, then builds the application (which binds its
/// port and says so in the log) and runs it until one of them arrives, letting in-flight
/// requests finish. The handlers come first: a signal sent as soon as the port is announced
/// stops the process cleanly instead of killing it.
pub async fn run_with_signals(
    build: impl FnOnce() -> Result<Application, StartError>,
) -> anyhow::Result<()> {
    let signal = shutdown_signal()?;
    let app = build()?;
    log::info!("ready; stop with Ctrl-C or SIGTERM");
    let handle = app.handle();
    let mut server = std::pin::pin!(app.run_until_stopped());
    let result = tokio::select! {
        result = &mut server => result,
        _ = signal => {
            log::info!("shutting down");
            // The server future itself carries out the stop: keep polling it meanwhile.
            let ((), result) = tokio::join!(handle.stop(true), server);
            result
        }
    };
    Ok(result?)
}

/// A binary's exit: the error, with its causes, on one line of standard error.
pub fn exit_code<E: std::fmt::Display>(result: Result<(), E>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// What a service binary was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// No arguments: serve.
    Serve,
    /// `reseal [--batch N]`: re-seal stored credentials with the active key, then exit.
    Reseal { batch: i64 },
}

impl Command {
    pub fn from_args() -> Result<Self, StartError> {
        Self::parse(std::env::args().skip(1))
    }

    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, StartError> {
        let usage = || {
            StartError::Other(
                "usage: <service> [reseal [--batch N]] (no argument: serve)".to_owned(),
            )
        };
        match args.next().as_deref() {
            None => Ok(Command::Serve),
            Some("reseal") => {
                let batch = match (args.next().as_deref(), args.next()) {
                    (None, _) => 500,
                    (Some("--batch"), Some(n)) => {
                        n.parse().ok().filter(|n| *n > 0).ok_or_else(usage)?
                    }
                    _ => return Err(usage()),
                };
                match args.next() {
                    None => Ok(Command::Reseal { batch }),
                    Some(_) => Err(usage()),
                }
            }
            Some(_) => Err(usage()),
        }
    }
}

/// Prints what a re-seal pass did; values that could not be opened make it an error, so that a
/// script does not go on to remove a key still in use.
pub fn print_reseal_report(what: &str, report: secrets::ResealReport) -> Result<(), StartError> {
    println!(
        "{what}: {} re-sealed, {} changed meanwhile (already current), {} could not be opened",
        report.resealed, report.changed_meanwhile, report.failed
    );
    if report.failed > 0 {
        return Err(StartError::Other(format!(
            "{} value(s) of {what} could not be opened: their key is not in the ring (see the log)",
            report.failed
        )));
    }
    Ok(())
}

/// The `reseal` command of a service that seals credentials: what it re-seals, as its report
/// names it, and how.
pub struct Reseal<S> {
    pub what: &'static str,
    pub run: fn(&S, i64) -> Result<secrets::ResealReport, StartError>,
}

/// The whole `main` of a service: logging, its settings from the environment, then serving
/// until Ctrl-C or SIGTERM; with `reseal`, the command line may ask for that instead
/// ([`Command`]). A failure is one line on standard error and a failing exit code.
pub fn run_service<S: Envconfig>(
    build: fn(&S) -> Result<Application, StartError>,
    reseal: Option<Reseal<S>>,
) -> std::process::ExitCode {
    if let Err(err) = init_logging() {
        return exit_code(Err(err));
    }
    exit_code(actix_web::rt::System::new().block_on(run(build, reseal)))
}

async fn run<S: Envconfig>(
    build: fn(&S) -> Result<Application, StartError>,
    reseal: Option<Reseal<S>>,
) -> anyhow::Result<()> {
    let config = S::init_from_env()?;
    if let Some(reseal) = reseal {
        if let Command::Reseal { batch } = Command::from_args()? {
            let report = (reseal.run)(&config, batch)?;
            print_reseal_report(reseal.what, report)?;
            return Ok(());
        }
    }
    run_with_signals(|| build(&config)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, StartError> {
        Command::parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn commands_parse_strictly() {
        assert_eq!(parse(&[]).unwrap(), Command::Serve);
        assert_eq!(parse(&["reseal"]).unwrap(), Command::Reseal { batch: 500 });
        assert_eq!(
            parse(&["reseal", "--batch", "20"]).unwrap(),
            Command::Reseal { batch: 20 }
        );
        for bad in [
            &["serve"][..],
            &["reseal", "--batch"],
            &["reseal", "--batch", "0"],
            &["reseal", "--batch", "x"],
            &["reseal", "--batch", "5", "extra"],
            &["reseal", "now"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
