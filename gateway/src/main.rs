use envconfig::Envconfig;

gateway::global_allocator!();

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    if let Err(err) = service_kit::init_logging() {
        return service_kit::exit_code(Err(err));
    }
    service_kit::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let config = gateway::Config::init_from_env()?;
    service_kit::run_with_signals(|| gateway::build(&config)).await
}
