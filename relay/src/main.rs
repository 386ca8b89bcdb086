//! The `relay` binary: see `relay --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    relay::cli::init_logging();
    let cli = relay::cli::Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("starting the tokio runtime");
    match runtime.block_on(relay::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
