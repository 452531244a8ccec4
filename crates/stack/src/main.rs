//! `cargo run --release -p stack`: the whole of hdp-oauth on this machine.

use envconfig::Envconfig;
use stack::{Stack, StackConfig};

gateway::global_allocator!();

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    if let Err(err) = service_kit::init_logging() {
        return service_kit::exit_code(Err(err));
    }
    service_kit::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let config = StackConfig::init_from_env()?;
    let stack = Stack::start(&config)?;
    let signal = service_kit::shutdown_signal()?;
    say(&format!(
        "hdp-oauth is running. Gateway: http://{}:{}/  (oauth-apps on port {}, oauth-profiles on \
         port {}, client-registration on port {}; data in {}). Press Ctrl-C to stop.",
        gateway_host(&config.gateway_addr),
        stack.gateway.port,
        stack.oauth_apps.port,
        stack.oauth_profiles.port,
        stack.client_registration.port,
        stack.data_dir.display(),
    ));
    if config.metrics_host.is_some() {
        let port = |running: &stack::Running| {
            running
                .metrics_port
                .map_or_else(|| "-".to_owned(), |p| p.to_string())
        };
        say(&format!(
            "Metrics (GET /metrics): gateway on port {}, oauth-apps {}, oauth-profiles {}, \
             client-registration {}.",
            port(&stack.gateway),
            port(&stack.oauth_apps),
            port(&stack.oauth_profiles),
            port(&stack.client_registration),
        ));
    }
    signal.await;
    say("Stopping...");
    stack.stop().await;
    say("Stopped.");
    Ok(())
}

/// A status line for the person at the terminal; a closed standard output is no reason to stop.
fn say(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

fn gateway_host(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(host, _)| host)
}
