use envconfig::Envconfig;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    service_kit::init_logging();
    let config = client_registration::Config::init_from_env()?;
    let app = client_registration::build(&config)?;
    service_kit::run_with_signals(app).await?;
    Ok(())
}
