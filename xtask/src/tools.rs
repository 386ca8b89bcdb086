//! The tools the build and the tests need, installed when missing and skipped when present:
//! the wasm32 target, wasm-bindgen-cli at the version in Cargo.lock, Trunk, wasm-opt (npm's
//! binaryen, never Debian's: its wasm-opt 108 produces wasm that fails at run time), esbuild
//! (npm) to minify the loader, Chromium with its driver from Debian's packages, and the standard
//! library's source (`rust-src` and its crates fetched) for the apps' size-optimised std.
//!
//! Cargo- and npm-installed tools go to one cache dir outside the checkout
//! (`$PARLEY_TOOLS_DIR`, default `~/.cache/parley-tools`), so every clone on a machine shares them.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::run::{output_of, run};

/// Trunk 0.22 needs a newer rustc than these machines have.
const TRUNK_VERSION: &str = "0.21.14";
/// The binaryen release whose wasm-opt is known to produce working wasm here.
const BINARYEN_VERSION: &str = "132.0.0";
/// The esbuild that minifies the loader (npm, pinned so the loader's bytes do not drift).
const ESBUILD_VERSION: &str = "0.28.2";
/// The axe-core the browser tests run inside the widget and the console.
const AXE_VERSION: &str = "4.14.1";

/// Where the tools live, and the PATH that puts them first.
pub struct Tools {
    dir: PathBuf,
}

impl Tools {
    /// The tool cache for this machine.
    pub fn new() -> Tools {
        let dir = std::env::var_os("PARLEY_TOOLS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| home().join(".cache/parley-tools"));
        Tools { dir }
    }

    /// The cache dir itself (the FAQ model lives in it too).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn bin(&self) -> PathBuf {
        self.dir.join("bin")
    }

    fn npm_bin(&self) -> PathBuf {
        self.dir.join("npm/node_modules/.bin")
    }

    /// `PATH` with the cached tools first (wasm-opt before any system one).
    pub fn path_env(&self) -> String {
        let old = std::env::var("PATH").unwrap_or_default();
        format!("{}:{}:{old}", self.npm_bin().display(), self.bin().display())
    }

    /// A command that finds the cached tools.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env("PATH", self.path_env()).env("TRUNK_SKIP_VERSION_CHECK", "true");
        command
    }

    /// Everything the widget build needs.
    pub fn ensure_wasm_toolchain(&self, root: &Path) -> Result<()> {
        self.ensure_wasm_target()?;
        self.ensure_std_source()?;
        self.ensure_wasm_bindgen(&wasm_bindgen_version(root)?)?;
        self.ensure_trunk()?;
        self.ensure_wasm_opt()?;
        self.ensure_esbuild()
    }

    /// esbuild's path in the cache.
    pub fn esbuild(&self) -> PathBuf {
        self.npm_bin().join("esbuild")
    }

    fn ensure_esbuild(&self) -> Result<()> {
        if self.has_version(self.esbuild(), ESBUILD_VERSION) {
            return Ok(());
        }
        self.npm_install(&format!("esbuild@{ESBUILD_VERSION}"))
    }

    /// axe-core's browser build (`axe.min.js`), for the accessibility checks in the browser
    /// tests; returns its path.
    pub fn ensure_axe(&self) -> Result<PathBuf> {
        let package = self.dir.join("npm/node_modules/axe-core");
        let installed = std::fs::read_to_string(package.join("package.json")).unwrap_or_default();
        if !installed.contains(&format!("\"version\": \"{AXE_VERSION}\"")) {
            self.npm_install(&format!("axe-core@{AXE_VERSION}"))?;
        }
        Ok(package.join("axe.min.js"))
    }

    fn npm_install(&self, package: &str) -> Result<()> {
        eprintln!("xtask: installing {package} from npm");
        let prefix = self.dir.join("npm");
        std::fs::create_dir_all(&prefix)?;
        let mut install = Command::new("npm");
        install.args(["install", "--no-audit", "--no-fund", "--prefix"]).arg(&prefix);
        run(install.arg(package))
    }

    fn ensure_wasm_target(&self) -> Result<()> {
        let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))?;
        if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
            return Ok(());
        }
        eprintln!("xtask: installing the wasm32-unknown-unknown target");
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
    }

    /// The standard library's source and the crates it uses, so the browser apps can rebuild it
    /// for their own size (`-Zbuild-std`; see `widget::small_wasm`). Trunk builds offline, so
    /// std's crates are fetched here first.
    fn ensure_std_source(&self) -> Result<()> {
        let installed = output_of(Command::new("rustup").args(["component", "list", "--installed"]))?;
        if !installed.lines().any(|l| l.trim().starts_with("rust-src")) {
            eprintln!("xtask: installing the rust-src component");
            run(Command::new("rustup").args(["component", "add", "rust-src"]))?;
        }
        let sysroot = output_of(Command::new("rustc").args(["--print", "sysroot"]))?;
        let library = Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library/Cargo.toml");
        let mut fetch = Command::new("cargo");
        // The library's manifest uses unstable cargo features; RUSTC_BOOTSTRAP lets stable read it.
        fetch.env("RUSTC_BOOTSTRAP", "1").args(["fetch", "--quiet", "--manifest-path"]);
        run(fetch.arg(library))
    }

    fn has_version(&self, program: PathBuf, wanted: &str) -> bool {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(wanted))
    }

    fn ensure_wasm_bindgen(&self, version: &str) -> Result<()> {
        if self.has_version(self.bin().join("wasm-bindgen"), version) {
            return Ok(());
        }
        eprintln!("xtask: installing wasm-bindgen-cli {version} (about 4 minutes, once)");
        // Not --locked: its lockfile pins a crate version the registry no longer has.
        let mut install = Command::new("cargo");
        install.args(["install", "wasm-bindgen-cli", "--version", version, "--force", "--root"]);
        run(install.arg(&self.dir))
    }

    fn ensure_trunk(&self) -> Result<()> {
        if self.has_version(self.bin().join("trunk"), TRUNK_VERSION) {
            return Ok(());
        }
        eprintln!("xtask: installing trunk {TRUNK_VERSION} (about 11 minutes, once)");
        let mut install = Command::new("cargo");
        install.args(["install", "trunk", "--version", TRUNK_VERSION, "--locked", "--force", "--root"]);
        run(install.arg(&self.dir))
    }

    fn ensure_wasm_opt(&self) -> Result<()> {
        if self.has_version(self.npm_bin().join("wasm-opt"), "version_132") {
            return Ok(());
        }
        eprintln!("xtask: installing wasm-opt from npm's binaryen@{BINARYEN_VERSION}");
        let prefix = self.dir.join("npm");
        std::fs::create_dir_all(&prefix)?;
        let mut install = Command::new("npm");
        install.args(["install", "--no-audit", "--no-fund", "--prefix"]).arg(&prefix);
        run(install.arg(format!("binaryen@{BINARYEN_VERSION}")))
    }

    /// Chromium and chromedriver from Debian's packages; returns chromedriver's path.
    pub fn ensure_chromium(&self) -> Result<PathBuf> {
        let (browser, driver) = (Path::new("/usr/bin/chromium"), Path::new("/usr/bin/chromedriver"));
        if browser.exists() && driver.exists() {
            return Ok(driver.to_owned());
        }
        apt_install(&["chromium", "chromium-driver"])?;
        if !driver.exists() {
            bail!("chromium-driver was installed but {} is missing", driver.display());
        }
        Ok(driver.to_owned())
    }

    /// Debian's `nats-server` (the bus between relays, for the tests and `cargo xtask
    /// cluster`); returns its path.
    pub fn ensure_nats_server(&self) -> Result<PathBuf> {
        let server = Path::new("/usr/sbin/nats-server");
        if !server.exists() {
            apt_install(&["nats-server"])?;
        }
        if !server.exists() {
            bail!("nats-server was installed but {} is missing", server.display());
        }
        Ok(server.to_owned())
    }
}

impl Tools {
    /// Debian's haproxy, the balancer `cargo xtask cluster` puts in front of its relays;
    /// returns its path.
    pub fn ensure_haproxy(&self) -> Result<PathBuf> {
        let haproxy = Path::new("/usr/sbin/haproxy");
        if !haproxy.exists() {
            apt_install(&["haproxy"])?;
        }
        if !haproxy.exists() {
            bail!("haproxy was installed but {} is missing", haproxy.display());
        }
        Ok(haproxy.to_owned())
    }

    /// PostgreSQL's server binaries from Debian (for the tests of the PostgreSQL backend and
    /// `cargo xtask cluster`); returns the directory that holds `initdb`, `pg_ctl` and `psql`.
    pub fn ensure_postgres(&self) -> Result<PathBuf> {
        let newest = || -> Option<PathBuf> {
            let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                .ok()?
                .flatten()
                .map(|e| e.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists() && bin.join("psql").exists())
                .collect();
            dirs.sort();
            dirs.pop()
        };
        if let Some(bin) = newest() {
            return Ok(bin);
        }
        apt_install(&["postgresql"])?;
        newest().context("postgresql was installed but no /usr/lib/postgresql/*/bin/initdb is there")
    }
}

/// Installs Debian packages (as root, or through sudo).
fn apt_install(packages: &[&str]) -> Result<()> {
    eprintln!("xtask: installing {} from Debian's packages", packages.join(", "));
    let sudo = |args: &[&str]| {
        let root = output_of(Command::new("id").arg("-u")).is_ok_and(|u| u.trim() == "0");
        let mut command = if root { Command::new(args[0]) } else { Command::new("sudo") };
        if root {
            command.args(&args[1..]);
        } else {
            command.args(args);
        }
        command.env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run(&mut sudo(&["apt-get", "update", "-q"]))?;
    let mut install = sudo(&["apt-get", "install", "-y", "-q"]);
    run(install.args(packages))
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"))
}

/// The `wasm-bindgen` version Cargo.lock pins: the CLI must be exactly this one.
fn wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == r#"name = "wasm-bindgen""# {
            if let Some(version) = lines.next().and_then(|l| l.trim().strip_prefix("version = ")) {
                return Ok(version.trim_matches('"').to_owned());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}
