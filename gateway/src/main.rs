use envconfig::Envconfig;

gateway::global_allocator!();

const USAGE: &str = "usage: gateway [check | repair]\n\
    \n  (no argument)  serve\
    \n  check          list the rows that break a cross-service invariant (docs/consistency.md)\
    \n  repair         remove them, then check again\n";

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    if let Err(err) = service_kit::init_logging() {
        return service_kit::exit_code(Err(err));
    }
    let command = std::env::args().nth(1);
    match command.as_deref() {
        None => service_kit::exit_code(serve().await),
        Some(check @ ("check" | "repair")) => audit(check == "repair").await,
        Some(_) => {
            eprint!("{USAGE}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let config = gateway::Config::init_from_env()?;
    service_kit::run_with_signals(|| gateway::build(&config)).await
}

/// `gateway check` and `gateway repair`: 0 when nothing is (left) to repair, 1 when something
/// is, 2 when the check could not run.
async fn audit(repair: bool) -> std::process::ExitCode {
    let outcome = async {
        let config = gateway::Config::init_from_env()?;
        gateway::consistency::run(&config, repair).await
    };
    match outcome.await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(err) => {
            eprintln!("gateway: the consistency check failed: {err:#}");
            std::process::ExitCode::from(2)
        }
    }
}
