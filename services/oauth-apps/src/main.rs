fn main() -> std::process::ExitCode {
    service_kit::run_service(oauth_apps::build, Some(oauth_apps::RESEAL))
}
