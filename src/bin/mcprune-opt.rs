//! `mcprune-opt`: the mlir-opt-style command line. All logic is in
//! `mcprune::driver`; this only maps its result to the process exit code.

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("MCPRUNE_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(mcprune::driver::main(&args));
}
