fn main() -> std::process::ExitCode {
    service_kit::run_service(client_registration::build, None)
}
