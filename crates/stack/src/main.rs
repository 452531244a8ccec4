//! `cargo run --release -p stack`: the whole of hdp-oauth on this machine.

use envconfig::Envconfig;
use stack::{Stack, StackConfig};

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    service_kit::init_logging();
    service_kit::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let config = StackConfig::init_from_env()?;
    let stack = Stack::start(&config)?;
    println!(
        "hdp-oauth is running. Gateway: http://{}:{}/  (oauth-apps on port {}, oauth-profiles on \
         port {}, client-registration on port {}; data in {}). Press Ctrl-C to stop.",
        gateway_host(&config.gateway_addr),
        stack.gateway.port,
        stack.oauth_apps.port,
        stack.oauth_profiles.port,
        stack.client_registration.port,
        stack.data_dir.display(),
    );
    service_kit::shutdown_signal().await;
    println!("Stopping...");
    stack.stop().await;
    println!("Stopped.");
    Ok(())
}

fn gateway_host(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(host, _)| host)
}
