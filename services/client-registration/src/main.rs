use envconfig::Envconfig;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    service_kit::init_logging();
    service_kit::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let config = client_registration::Config::init_from_env()?;
    let app = client_registration::build(&config)?;
    service_kit::run_with_signals(app).await?;
    Ok(())
}
