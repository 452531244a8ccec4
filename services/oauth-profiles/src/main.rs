fn main() -> std::process::ExitCode {
    service_kit::run_service(oauth_profiles::build, Some(oauth_profiles::RESEAL))
}
