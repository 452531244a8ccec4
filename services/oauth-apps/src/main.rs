use envconfig::Envconfig;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    service_kit::init_logging();
    let config = oauth_apps::Config::init_from_env()?;
    let app = oauth_apps::build(&config)?;
    service_kit::run_with_signals(app).await?;
    Ok(())
}
