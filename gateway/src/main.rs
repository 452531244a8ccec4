use envconfig::Envconfig;

/// jemalloc rather than glibc's malloc: argon2 takes 19 MiB a run, and glibc keeps such blocks
/// in its per-thread arenas after they are freed (a flood of sign-ins once left gigabytes
/// held). jemalloc's background thread gives freed pages back to the system within about a
/// second (`JEMALLOC_SYS_WITH_MALLOC_CONF` in .cargo/config.toml). How many runs hold memory at
/// once is bounded by `GATEWAY_PASSWORD_CHECKS` (`gateway::password_checks`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    service_kit::init_logging();
    service_kit::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let config = gateway::Config::init_from_env()?;
    service_kit::run_with_signals(|| gateway::build(&config)).await
}
