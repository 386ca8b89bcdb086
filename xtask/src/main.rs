//! `cargo xtask`: one entry point for building, running the demo, testing and benchmarking, so
//! that a fresh machine needs nothing but Rust and this repository.

mod cluster;
mod model;
mod postgres;
mod run;
mod short_names;
mod tools;
mod widget;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use run::run;
use tools::Tools;

/// Project automation for Parley.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the widget, the console and the release relay (`target/release/relay`) that embeds them.
    Build,
    /// Build, create the demo agent, and run the relay on ./data with the demo store.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Several relays as one, on this machine: PostgreSQL, NATS, three relay nodes and haproxy
    /// in front of them; prints the URLs and runs until Ctrl-C (docs/operations.md).
    Cluster {
        /// The balancer's address (the one URL shoppers and agents use).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Everything CI runs: formatting, lints, unit, integration and browser tests.
    Test {
        /// A fast loop: no tool installs, no web builds and no browser tests (the `*_e2e`
        /// test files); formatting, lints and every other test still run.
        #[arg(long)]
        quick: bool,
    },
    /// Print the size and speed figures (loader, widget, the widget's page cost and tap on a
    /// slow phone, latency, FAQ search, victim latency under attack, load).
    Bench,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = project_root();
    let tools = Tools::new();
    match cli.command {
        Task::Build => build(&root, &tools),
        Task::Demo { listen } => demo(&root, &tools, &listen),
        Task::Cluster { listen } => cluster::cluster(&root, &tools, &listen),
        Task::Test { quick: false } => test(&root, &tools),
        Task::Test { quick: true } => quick_test(&root, &tools),
        Task::Bench => bench(&root, &tools),
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

fn cargo(root: &Path, tools: &Tools) -> Command {
    let mut command = tools.command(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root);
    command
}

fn build(root: &Path, tools: &Tools) -> Result<()> {
    tools.ensure_wasm_toolchain(root)?;
    widget::build(root, tools)?;
    widget::build_console(root, tools)?;
    run(cargo(root, tools).args(["build", "--release", "-p", "relay", "--bin", "relay"]))?;
    model::install_beside_relay(root, tools)?;
    eprintln!("xtask: built {}", root.join("target/release/relay").display());
    Ok(())
}

const DEMO_EMAIL: &str = "agent@demo.test";
const DEMO_PASSWORD: &str = "demo-password";

fn demo(root: &Path, tools: &Tools, listen: &str) -> Result<()> {
    build(root, tools)?;
    let relay = root.join("target/release/relay");
    let data = root.join("data");
    let added = Command::new(&relay)
        .arg("--data-dir")
        .arg(&data)
        .args(["agent", "add", "--store", "demo", "--email", DEMO_EMAIL, "--password", DEMO_PASSWORD])
        .args(["--name", "Demo Agent", "--role", "owner"])
        .output()
        .context("running relay agent add")?;
    let stderr = String::from_utf8_lossy(&added.stderr);
    if !added.status.success() && !stderr.contains("already exists") {
        anyhow::bail!("creating the demo agent failed: {stderr}");
    }
    let (mut source, orders_url) = start_demo_orders(root, tools)?;
    let configured = Command::new(&relay)
        .arg("--data-dir")
        .arg(&data)
        .args(["store", "set", "--key", "demo", "--order-source-url", &orders_url])
        .args(["--order-source-secret", DEMO_ORDERS_SECRET, "--order-source-allow-private", "true"])
        .output()
        .context("running relay store set")?;
    if !configured.status.success() {
        let _ = source.kill();
        anyhow::bail!(
            "pointing the demo store at its order source failed: {}",
            String::from_utf8_lossy(&configured.stderr)
        );
    }
    let signed = Command::new(&relay)
        .arg("--data-dir")
        .arg(&data)
        .args(["store", "identity-secret", "--key", "demo", "--sign", "cust_1001"])
        .output()
        .context("running relay store identity-secret")?;
    let signature = String::from_utf8_lossy(&signed.stdout).trim().to_owned();
    let base = format!("http://{listen}");
    println!();
    println!("  Storefront:      {base}/demo/   (ask \"where is my order?\": order 1001, mia@example.com)");
    println!("  Signed-in Mia:   {base}/demo/api.html?open&id=cust_1001&name=Mia&email=mia@example.com&signature={signature}");
    println!("  Order source:    {orders_url}   (examples/order-source, orders of examples/order-source/orders.json)");
    println!("  Agent console:   {base}/console/   (sign in as below)");
    println!("  Terminal agent:  cargo run --release --example agent -- --relay {base} --email {DEMO_EMAIL} --password {DEMO_PASSWORD}");
    println!("  Demo agent:      {DEMO_EMAIL} / {DEMO_PASSWORD}");
    println!("  Data:            {}", data.display());
    println!("  Stop with Ctrl-C.");
    println!();
    let served = run(Command::new(&relay).arg("--data-dir").arg(&data).arg("--listen").arg(listen));
    let _ = source.kill();
    served
}

/// The secret the demo store and its order source share.
const DEMO_ORDERS_SECRET: &str = "demo-order-source-secret";

/// Builds and starts the reference order source (examples/order-source) on a free loopback
/// port with the demo orders; returns it and its `/orders` URL.
fn start_demo_orders(root: &Path, tools: &Tools) -> Result<(std::process::Child, String)> {
    run(cargo(root, tools).args(["build", "--release", "--example", "order-source"]))?;
    let program = root.join("target/release/examples/order-source");
    let mut child = Command::new(&program)
        .arg("--orders")
        .arg(root.join("examples/order-source/orders.json"))
        .args(["--secret", DEMO_ORDERS_SECRET])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    let stdout = child.stdout.take().context("the order source's output")?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    let Some(base) = line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        anyhow::bail!("the order source said {line:?} instead of its address");
    };
    Ok((child, format!("{base}/orders")))
}

fn test(root: &Path, tools: &Tools) -> Result<()> {
    tools.ensure_wasm_toolchain(root)?;
    let driver = tools.ensure_chromium()?;
    let axe = tools.ensure_axe()?;
    let nats = tools.ensure_nats_server()?;
    let pg_bin = tools.ensure_postgres()?;
    let model = model::ensure(tools)?;
    run(cargo(root, tools).args(["fmt", "--all", "--", "--check"]))?;
    widget::build(root, tools)?;
    widget::build_console(root, tools)?;
    run(cargo(root, tools).args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    let totals = run::run_tests(
        cargo(root, tools)
            .args(["test", "--workspace", "--no-fail-fast"])
            .env("CHROMEDRIVER", &driver)
            .env("PARLEY_AXE", &axe)
            .env("NATS_SERVER", &nats)
            .env("PG_BIN", &pg_bin)
            .env("PARLEY_FAQ_MODEL", &model),
    )?;
    let on_postgres = relay_suite_on_postgres(root, tools, &nats, &pg_bin, &model)?;
    // One plain closing line, whatever order cargo printed its per-binary summaries in.
    println!(
        "tests: {} passed, {} failed; on PostgreSQL: {} passed, {} failed",
        totals.passed, totals.failed, on_postgres.passed, on_postgres.failed
    );
    if totals.failed + on_postgres.failed > 0 || !totals.success || !on_postgres.success {
        anyhow::bail!("some tests failed");
    }
    eprintln!("xtask: all checks passed");
    Ok(())
}

/// `cargo xtask test --quick`: what can be checked without a browser, in a minute or two.
fn quick_test(root: &Path, tools: &Tools) -> Result<()> {
    let nats = tools.ensure_nats_server()?;
    let pg_bin = tools.ensure_postgres()?;
    let model = model::ensure(tools)?;
    run(cargo(root, tools).args(["fmt", "--all", "--", "--check"]))?;
    run(cargo(root, tools).args(["clippy", "--all-targets", "--", "-D", "warnings"]))?;
    // The terminal agent's test runs the example as a program: build it as one.
    run(cargo(root, tools).args(["build", "--example", "agent"]))?;
    let mut args: Vec<String> = ["test", "--no-fail-fast", "--lib", "--bins", "--examples"].map(String::from).to_vec();
    for test in test_binaries(root, &["tests", "relay/tests"], |_| true)? {
        args.extend(["--test".to_owned(), test]);
    }
    let totals = run::run_tests(
        cargo(root, tools).args(&args).env("NATS_SERVER", &nats).env("PG_BIN", &pg_bin).env("PARLEY_FAQ_MODEL", &model),
    )?;
    let on_postgres = relay_suite_on_postgres(root, tools, &nats, &pg_bin, &model)?;
    println!(
        "tests: {} passed, {} failed; on PostgreSQL: {} passed, {} failed (browser tests skipped: run `cargo xtask test`)",
        totals.passed, totals.failed, on_postgres.passed, on_postgres.failed
    );
    if totals.failed + on_postgres.failed > 0 || !totals.success || !on_postgres.success {
        anyhow::bail!("some tests failed");
    }
    Ok(())
}

/// The integration tests without a browser (`*.rs` not ending in `_e2e` in `dirs`, e.g.
/// `tests` and `relay/tests`) that `keep` keeps.
fn test_binaries(root: &Path, dirs: &[&str], keep: impl Fn(&str) -> bool) -> Result<Vec<String>> {
    let mut tests = Vec::new();
    for dir in dirs {
        for entry in std::fs::read_dir(root.join(dir))? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(test) = name.strip_suffix(".rs").filter(|t| !t.ends_with("_e2e") && keep(t)) {
                tests.push(test.to_owned());
            }
        }
    }
    tests.sort();
    Ok(tests)
}

/// The relay's integration tests again, every relay on PostgreSQL (a server of xtask's own;
/// each test relay gets a database of its own, see `tests/common/postgres.rs`). The tests of
/// the schema and of the store's two backends already run both; the browser tests and the
/// relay crate's own tests (which open their stores themselves) run once. `--workspace`, as
/// the first run has it, so cargo reuses that run's build instead of building every
/// dependency again with other features.
fn relay_suite_on_postgres(
    root: &Path,
    tools: &Tools,
    nats: &Path,
    pg_bin: &Path,
    model: &Path,
) -> Result<run::TestTotals> {
    let server = postgres::Server::start(pg_bin)?;
    let mut args: Vec<String> = ["test", "--workspace", "--no-fail-fast"].map(String::from).to_vec();
    let single = ["cluster", "cluster_failover", "postgres_schema", "postgres_store", "protocol_doc"];
    for test in test_binaries(root, &["tests"], |t| !single.contains(&t))? {
        args.extend(["--test".to_owned(), test]);
    }
    eprintln!("xtask: the relay suite on PostgreSQL");
    run::run_tests(
        cargo(root, tools)
            .args(&args)
            .env("NATS_SERVER", nats)
            .env("PG_BIN", pg_bin)
            .env("PARLEY_FAQ_MODEL", model)
            .env("PARLEY_TEST_POSTGRES", server.url()),
    )
}

fn bench(root: &Path, tools: &Tools) -> Result<()> {
    build(root, tools)?;
    let driver = tools.ensure_chromium()?;
    // The loader as the relay serves it (minified).
    let loader = std::fs::read(widget::dist_dir(root).join("loader.min.js"))?;
    println!("== sizes (bytes) ==");
    let (raw, gz) = (loader.len(), widget::gzip(&loader).len());
    println!("loader widget.js   raw {raw:>7}  gzip {gz:>6}  (target: 2 KB gzip)");
    print_sizes("widget", &widget::find_files(&widget::dist_dir(root))?, "100 KB brotli")?;
    print_sizes("console", &widget::find_files(&widget::console_dist_dir(root))?, "400 KB brotli")?;
    // What the widget costs a product page, and a tap on it, on an emulated slow phone.
    run(cargo(root, tools).args(["run", "--release", "--example", "page_bench"]).env("CHROMEDRIVER", &driver))?;
    run(cargo(root, tools).args(["run", "--release", "--example", "bench", "--"]).env("CHROMEDRIVER", &driver))?;
    let model = model::ensure(tools)?;
    run(cargo(root, tools).args(["run", "--release", "--example", "faq_bench"]))?;
    run(cargo(root, tools).args(["run", "--release", "--example", "faq_model_bench"]).env("PARLEY_FAQ_MODEL", &model))?;
    // Order answers as the shopper sees them, against the reference order source.
    run(cargo(root, tools).args(["build", "--release", "--example", "order-source"]))?;
    run(cargo(root, tools).args(["run", "--release", "--example", "order_bench"]))?;
    // Every report over 30 days of a store with 100,000 conversations and 1,000,000 messages.
    run(cargo(root, tools).args(["run", "--release", "--example", "report_bench"]))?;
    // A victim store's latency while a stranger floods sign-ins, half-sent requests, long
    // messages to the bot and FAQ saves.
    run(cargo(root, tools).args(["run", "--release", "--example", "attack_bench"]))?;
    // The target case (arrivals over 30 s), then a burst of every first message within 2 s.
    run(cargo(root, tools).args(["run", "--release", "--example", "loadgen", "--", "first-replies"]))?;
    run(cargo(root, tools).args([
        "run",
        "--release",
        "--example",
        "loadgen",
        "--",
        "first-replies",
        "--spread-secs",
        "2",
    ]))?;
    // Rates, a crowd, a wave of openings, overload and idle memory, every message fsynced.
    run(cargo(root, tools).args(["run", "--release", "--example", "loadgen", "--", "throughput"]))?;
    // Overload the generator can offer: the relay on one CPU, the generator on the other.
    run(cargo(root, tools).args(["run", "--release", "--example", "loadgen", "--", "--relay-cpus", "0"]).args([
        "throughput",
        "--parts",
        "ramp",
        "--rates",
        "2000,5000,10000",
    ]))?;
    // The same ramp with the relay on the bus between relays: what publishing every frame on
    // NATS costs a node.
    let nats = tools.ensure_nats_server()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut server = std::process::Command::new(&nats)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting nats-server")?;
    let url = format!("nats://127.0.0.1:{port}");
    // It listens within milliseconds; the relay refuses to start without it.
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let ramp = run(cargo(root, tools)
        .args(["run", "--release", "--example", "loadgen", "--", "--relay-cpus", "0", "--nats", &url])
        .args(["throughput", "--parts", "ramp", "--rates", "2000,5000,10000"]));
    let _ = server.kill();
    let _ = server.wait();
    ramp
}

/// Prints the raw, gzip and brotli sizes of one app's JS, wasm and CSS, and their total.
fn print_sizes(app: &str, files: &widget::WidgetFiles, target: &str) -> Result<()> {
    let mut totals = (0, 0, 0);
    for (part, path) in [("js", &files.js), ("wasm", &files.wasm), ("css", &files.css)] {
        let data = std::fs::read(path)?;
        let (gz, br) = (widget::gzip(&data).len(), widget::brotli(&data).len());
        totals = (totals.0 + data.len(), totals.1 + gz, totals.2 + br);
        println!("{:<18} raw {:>7}  gzip {gz:>6}  brotli {br:>6}", format!("{app} {part}"), data.len());
    }
    let label = format!("{app} total");
    println!("{label:<18} raw {:>7}  gzip {:>6}  brotli {:>6}  (target: {target})", totals.0, totals.1, totals.2);
    Ok(())
}
