use envconfig::Envconfig;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    service_kit::init_logging();
    service_kit::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let config = oauth_apps::Config::init_from_env()?;
    match service_kit::Command::from_args()? {
        service_kit::Command::Serve => {
            let app = oauth_apps::build(&config)?;
            service_kit::run_with_signals(app).await?;
        }
        service_kit::Command::Reseal { batch } => {
            let report = oauth_apps::reseal(&config, batch)?;
            service_kit::print_reseal_report("oauth_apps.client_secret", report)?;
        }
    }
    Ok(())
}
