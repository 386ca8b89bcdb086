//! The `relay` binary: see `relay --help`.

use clap::Parser;

/// mimalloc returns freed memory to the system far better than glibc's malloc under many
/// short-lived per-connection allocations: idle relays stay small.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(clippy::expect_used)] // each expect states an invariant that holds
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
